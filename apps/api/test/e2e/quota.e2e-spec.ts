import { randomBytes } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { complete, fileRow, overwriteObject, presign, putBlob, STORAGE_DRIVERS, uploadFile, usage } from './files.e2e-helpers';

async function globalUsage(t: TestApp): Promise<{ usedBytes: bigint; reservedBytes: bigint }> {
  return t.database.prisma.storageUsage.findUniqueOrThrow({ where: { id: 1 } });
}

async function reservedInRows(t: TestApp, userId: string): Promise<number> {
  const rows = await t.database.prisma.file.findMany({ where: { userId, status: 'pending' }, select: { reservedBytes: true } });
  return rows.reduce((sum, r) => sum + Number(r.reservedBytes), 0);
}

describe.each(STORAGE_DRIVERS)('quotas with the %s storage driver', (storage) => {
  describe('user quota', () => {
    const QUOTA = 1000;
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ storage, env: { USER_QUOTA_BYTES: String(QUOTA), MAX_FILES_PER_USER: '100' } });
    });

    afterAll(() => t?.close());

    it('racing 20 presigns that together exceed the quota: the reserved total never exceeds it', async () => {
      const user = await createVerifiedUser(t);

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => presign(t, user, { file_name: `race-${i}`, mime_type: 'x/y', size: 150 })),
      );

      const accepted = results.filter((r) => r.status === 200);
      const refused = results.filter((r) => r.status !== 200);
      expect(accepted).toHaveLength(Math.floor(QUOTA / 150));
      expect(refused.every((r) => r.status === 403 && r.body.code === 'QUOTA_EXCEEDED')).toBe(true);
      expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 900, file_count: 6 });
      expect(await reservedInRows(t, user.id)).toBe(900);
      expect(await t.database.prisma.file.count({ where: { userId: user.id } })).toBe(6);
    });

    it('racing completes of undeclared uploads that together exceed the quota: usage never exceeds it', async () => {
      const user = await createVerifiedUser(t);
      const uploads = [];
      for (let i = 0; i < 10; i++) {
        const p = await presign(t, user, { file_name: `u-${i}`, mime_type: 'x/y' });
        expect(await putBlob(p.body.upload_resource, randomBytes(150))).toBe(200);
        uploads.push(p.body.file_id);
      }

      const results = await Promise.all(uploads.map((id) => complete(t, user, id)));

      expect(results.filter((r) => r.status === 200)).toHaveLength(6);
      expect(results.filter((r) => r.status === 413).every((r) => r.body.code === 'UPLOAD_OVER_QUOTA')).toBe(true);
      expect(results.filter((r) => r.status === 413)).toHaveLength(4);
      expect(await usage(t, user)).toMatchObject({ used_bytes: 900, reserved_bytes: 0, file_count: 6 });
      for (const [i, id] of uploads.entries()) {
        const head = await t.store.head(`${ownerHash(t.config.secrets.userIdHash, user.id)}/${id}`);
        expect(head === undefined).toBe(results[i].status === 413);
      }
    });

    it('converts the reservation into usage of the verified size at complete', async () => {
      const user = await createVerifiedUser(t);
      const p = await presign(t, user, { file_name: 'a', mime_type: 'x/y', size: 400 });
      expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 400, file_count: 1 });
      expect(await putBlob(p.body.upload_resource, randomBytes(400))).toBe(200);

      expect((await complete(t, user, p.body.file_id)).status).toBe(200);

      expect(await usage(t, user)).toMatchObject({ used_bytes: 400, reserved_bytes: 0, file_count: 1 });
      expect((await presign(t, user, { file_name: 'b', mime_type: 'x/y', size: 601 })).status).toBe(403);
      expect((await presign(t, user, { file_name: 'b', mime_type: 'x/y', size: 600 })).status).toBe(200);
    });

    it('fails an undeclared upload that does not fit at complete: 413, object gone, usage unchanged', async () => {
      const user = await createVerifiedUser(t);
      await uploadFile(t, user, { size: 800 });
      const before = await usage(t, user);
      const p = await presign(t, user, { file_name: 'too much', mime_type: 'x/y' });
      expect(await putBlob(p.body.upload_resource, randomBytes(201))).toBe(200);

      const c = await complete(t, user, p.body.file_id);

      expect(c).toMatchObject({ status: 413, body: { code: 'UPLOAD_OVER_QUOTA' } });
      expect(await t.store.head(`${ownerHash(t.config.secrets.userIdHash, user.id)}/${p.body.file_id}`)).toBeUndefined();
      expect((await fileRow(t, p.body.file_id))?.status).toBe('failed');
      expect(await usage(t, user)).toEqual(before);
    });

    it('reports usage and limits', async () => {
      const user = await createVerifiedUser(t);
      await uploadFile(t, user, { size: 123 });
      await presign(t, user, { file_name: 'pending', mime_type: 'x/y', size: 77 });

      const res = await call(t, 'GET', '/api/user/usage', { user });

      expect(res).toMatchObject({
        status: 200,
        body: { used_bytes: 123, reserved_bytes: 77, quota_bytes: QUOTA, file_count: 2, max_files: 100, max_file_size_bytes: 1024 ** 4 },
      });
      expect(Object.keys(res.body).sort()).toEqual(
        ['file_count', 'max_file_size_bytes', 'max_files', 'quota_bytes', 'reserved_bytes', 'used_bytes'].sort(),
      );
      expect((await call(t, 'GET', '/api/user/usage')).status).toBe(401);
    });

    it('keeps the service-wide totals equal to the sum over users', async () => {
      const totals = await t.database.prisma.user.aggregate({ _sum: { usedBytes: true, reservedBytes: true } });
      const global = await globalUsage(t);
      expect(global.usedBytes).toBe(totals._sum.usedBytes ?? 0n);
      expect(global.reservedBytes).toBe(totals._sum.reservedBytes ?? 0n);
    });
  });

  describe('file-count limit', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ storage, env: { MAX_FILES_PER_USER: '3' } });
    });

    afterAll(() => t?.close());

    it('counts live files only: pending and uploaded count, failed and deleted do not', async () => {
      const user: TestUser = await createVerifiedUser(t);
      const kept = await uploadFile(t, user);
      await presign(t, user, { file_name: 'pending', mime_type: 'x/y', size: 1 });
      const third = await uploadFile(t, user);

      const fourth = await presign(t, user, { file_name: 'fourth', mime_type: 'x/y', size: 1 });
      expect(fourth).toMatchObject({ status: 403, body: { code: 'FILE_COUNT_LIMIT' } });

      expect((await call(t, 'DELETE', `/api/files?id=${third.fileId}`, { user })).status).toBe(204);
      const replacement = await presign(t, user, { file_name: 'replacement', mime_type: 'x/y', size: 10 });
      expect(replacement.status).toBe(200);
      expect(await usage(t, user)).toMatchObject({ file_count: 3 });

      // A failed upload gives its slot back too.
      await overwriteObject(t, `${ownerHash(t.config.secrets.userIdHash, user.id)}/${replacement.body.file_id}`, randomBytes(11));
      expect((await complete(t, user, replacement.body.file_id)).status).toBe(413);
      expect(await usage(t, user)).toMatchObject({ file_count: 2 });
      expect((await presign(t, user, { file_name: 'again', mime_type: 'x/y', size: 1 })).status).toBe(200);
      expect((await call(t, 'GET', `/api/files?id=${kept.fileId}`, { user })).body[0].status).toBe('uploaded');
    });

    it('races 10 presigns for the last slots without going over', async () => {
      const user = await createVerifiedUser(t);
      const results = await Promise.all(Array.from({ length: 10 }, () => presign(t, user, { file_name: 'r', mime_type: 'x/y' })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      expect(results.filter((r) => r.status === 403 && r.body.code === 'FILE_COUNT_LIMIT')).toHaveLength(7);
      expect(await usage(t, user)).toMatchObject({ file_count: 3 });
    });
  });

  describe('global storage limit', () => {
    const GLOBAL = 1000;
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ storage, env: { GLOBAL_QUOTA_BYTES: String(GLOBAL) } });
    });

    afterAll(() => t?.close());

    it('never lets racing users reserve more than the service-wide limit (503 STORAGE_FULL)', async () => {
      const users = await Promise.all(Array.from({ length: 4 }, () => createVerifiedUser(t)));

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => presign(t, users[i % users.length], { file_name: `g-${i}`, mime_type: 'x/y', size: 150 })),
      );

      expect(results.filter((r) => r.status === 200)).toHaveLength(6);
      expect(results.filter((r) => r.status === 503 && r.body.code === 'STORAGE_FULL')).toHaveLength(14);
      const global = await globalUsage(t);
      expect(global.reservedBytes).toBe(900n);
      // Refused presigns leave no file row and no reservation behind.
      expect(await t.database.prisma.file.count()).toBe(6);
      const perUser = await Promise.all(users.map((u) => usage(t, u)));
      expect(perUser.reduce((sum, u) => sum + u.reserved_bytes, 0)).toBe(900);
      expect(perUser.reduce((sum, u) => sum + u.file_count, 0)).toBe(6);
    });
  });
});
