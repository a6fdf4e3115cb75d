import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { presign, putBlob, STORAGE_DRIVERS, uploadFile, usage } from './files.e2e-helpers';

describe.each(STORAGE_DRIVERS)('DELETE /admin/reset with the %s storage driver', (storage) => {
  describe('in development mode', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ storage, env: { APP_ENV: 'development' } });
    });

    afterAll(() => t?.close());

    it('answers 204 and wipes every table and every stored object', async () => {
      const alice = await createVerifiedUser(t);
      const bob = await createVerifiedUser(t);
      const a = await uploadFile(t, alice, { size: 50 });
      const b = await uploadFile(t, bob, { size: 60 });
      const p = await presign(t, bob, { file_name: 'pending', mime_type: 'x/y', size: 5 });
      expect(await putBlob(p.body.upload_resource, Buffer.alloc(5))).toBe(200);
      expect((await fetch(`${t.baseUrl}/files/download/${a.key}`, { redirect: 'manual' })).status).toBe(303);

      const res = await fetch(`${t.baseUrl}/admin/reset`, { method: 'DELETE', headers: { Authorization: `Bearer ${t.config.admin.token}` } });

      expect(res.status).toBe(204);
      const prisma = t.database.prisma;
      expect(await prisma.user.count()).toBe(0);
      expect(await prisma.file.count()).toBe(0);
      expect(await prisma.downloadCounter.count()).toBe(0);
      expect(await prisma.storageUsage.findMany()).toEqual([{ id: 1, usedBytes: 0n, reservedBytes: 0n }]);
      expect(await t.store.head(a.key)).toBeUndefined();
      expect(await t.store.head(b.key)).toBeUndefined();
      expect(await t.store.head(b.key.replace(b.fileId, p.body.file_id))).toBeUndefined();
      // Tokens of wiped users stop working, and the server works on from a clean slate.
      expect((await call(t, 'GET', '/api/files/all', { user: alice })).status).toBe(401);
      const carol = await createVerifiedUser(t);
      await uploadFile(t, carol, { size: 10 });
      expect(await usage(t, carol)).toMatchObject({ used_bytes: 10, file_count: 1 });
    });
  });

  describe('outside development mode', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ storage });
    });

    afterAll(() => t?.close());

    it('answers 403 and wipes nothing', async () => {
      expect(t.config.env).toBe('test');
      const alice = await createVerifiedUser(t);
      const { key } = await uploadFile(t, alice, { size: 20 });

      const res = await call(t, 'DELETE', '/admin/reset');

      expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', error: expect.any(String) } });
      expect(await t.database.prisma.user.count()).toBe(1);
      expect(await t.store.head(key)).toEqual({ size: 20 });
    });
  });
});
