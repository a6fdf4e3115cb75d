import { randomBytes } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { DEAD_ROW_RETENTION_MS, FileMaintenanceService, UPLOAD_GRACE_MS } from '../../src/modules/files/file-maintenance.service';
import { FilesScheduler } from '../../src/modules/files/files.scheduler';
import { complete, fileRow, OffsetClock, overwriteObject, presign, putBlob, STORAGE_DRIVERS, uploadFile, usage } from './files.e2e-helpers';

const PRESIGN_TTL_MS = 900_000;
const PAST_UPLOAD_WINDOW = PRESIGN_TTL_MS + UPLOAD_GRACE_MS + 1000;

describe.each(STORAGE_DRIVERS)('file clean-up jobs with the %s storage driver', (storage) => {
  let t: TestApp;
  let jobs: FileMaintenanceService;
  let clock: OffsetClock;

  beforeAll(async () => {
    clock = new OffsetClock();
    // Tokens must outlive the clock jumps below.
    t = await startTestApp({ storage, clock, env: { ACCESS_TOKEN_TTL_SECONDS: '31536000' } });
    jobs = t.app.get(FileMaintenanceService);
  });

  afterAll(() => t?.close());

  const keyOf = (user: TestUser, fileId: string) => `${ownerHash(t.config.secrets.userIdHash, user.id)}/${fileId}`;

  describe('stale pending uploads', () => {
    it('fails uploads never completed once their URL expired (plus grace), deleting the object and releasing the reservation', async () => {
      const user = await createVerifiedUser(t);
      const uploaded = await presign(t, user, { file_name: 'put but never completed', mime_type: 'x/y', size: 500 });
      expect(await putBlob(uploaded.body.upload_resource, randomBytes(500))).toBe(200);
      const abandoned = await presign(t, user, { file_name: 'never uploaded', mime_type: 'x/y' });
      expect(await usage(t, user)).toMatchObject({ reserved_bytes: 500, file_count: 2 });

      clock.advance(PRESIGN_TTL_MS);
      await jobs.expireStaleUploads();
      expect((await fileRow(t, uploaded.body.file_id))?.status).toBe('pending');

      clock.advance(PAST_UPLOAD_WINDOW - PRESIGN_TTL_MS);
      await jobs.expireStaleUploads();

      expect((await fileRow(t, uploaded.body.file_id))?.status).toBe('failed');
      expect((await fileRow(t, abandoned.body.file_id))?.status).toBe('failed');
      expect(await t.store.head(keyOf(user, uploaded.body.file_id))).toBeUndefined();
      expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, file_count: 0 });
      expect((await complete(t, user, uploaded.body.file_id)).status).toBe(404);
    });
  });

  describe('size re-check after the upload URL expired', () => {
    it('verifies unchanged files once, and fails and deletes a file whose object changed size', async () => {
      const user = await createVerifiedUser(t);
      const steady = await uploadFile(t, user, { size: 100, declare: false });
      const grown = await uploadFile(t, user, { size: 100, declare: false });
      // A second PUT through a URL that outlived complete.
      await overwriteObject(t, grown.key, randomBytes(5000));
      expect(await usage(t, user)).toMatchObject({ used_bytes: 200, file_count: 2 });

      await jobs.recheckCompletedSizes();
      expect((await fileRow(t, grown.fileId))?.status).toBe('uploaded');

      clock.advance(PAST_UPLOAD_WINDOW);
      await jobs.recheckCompletedSizes();

      expect(await fileRow(t, steady.fileId)).toMatchObject({ status: 'uploaded', sizeVerifiedAt: expect.any(Date) });
      expect((await fileRow(t, grown.fileId))?.status).toBe('failed');
      expect(await t.store.head(grown.key)).toBeUndefined();
      expect(await t.store.head(steady.key)).toEqual({ size: 100 });
      expect(await usage(t, user)).toMatchObject({ used_bytes: 100, reserved_bytes: 0, file_count: 1 });
      const list = await call(t, 'GET', '/api/files/all', { user });
      expect(list.body.map((f: { file_id: string; status: string }) => [f.file_id, f.status])).toEqual([
        [grown.fileId, 'failed'],
        [steady.fileId, 'uploaded'],
      ]);

      // Verified files are not looked at again.
      const head = jest.spyOn(t.store, 'head');
      try {
        await jobs.recheckCompletedSizes();
        expect(head).not.toHaveBeenCalledWith(steady.key);
      } finally {
        head.mockRestore();
      }
    });
  });

  describe('purging failed and deleted rows', () => {
    it('keeps them for the retention period, then deletes the rows and any object a late PUT left', async () => {
      const user = await createVerifiedUser(t);
      const deleted = await uploadFile(t, user);
      expect((await call(t, 'DELETE', `/api/files?id=${deleted.fileId}`, { user })).status).toBe(204);
      const p = await presign(t, user, { file_name: 'too big', mime_type: 'x/y', size: 10 });
      await overwriteObject(t, keyOf(user, p.body.file_id), randomBytes(11));
      expect((await complete(t, user, p.body.file_id)).status).toBe(413);
      // A PUT through the deleted file's still-valid URL stores the object again.
      await overwriteObject(t, deleted.key, randomBytes(7));

      await jobs.purgeDeadRows();
      expect(await fileRow(t, deleted.fileId)).not.toBeNull();

      clock.advance(DEAD_ROW_RETENTION_MS + PAST_UPLOAD_WINDOW);
      await jobs.purgeDeadRows();

      expect(await fileRow(t, deleted.fileId)).toBeNull();
      expect(await fileRow(t, p.body.file_id)).toBeNull();
      expect(await t.store.head(deleted.key)).toBeUndefined();
      expect((await call(t, 'GET', '/api/files/all', { user })).body).toEqual([]);
      expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, file_count: 0 });
    });
  });

  it('runs every job through the exclusive job runner', async () => {
    const scheduler = t.app.get(FilesScheduler);
    await expect(scheduler.expireStaleUploads()).resolves.toBe(true);
    await expect(scheduler.recheckCompletedSizes()).resolves.toBe(true);
    await expect(scheduler.retryObjectRemoval()).resolves.toBe(true);
    await expect(scheduler.purgeDeadRows()).resolves.toBe(true);
    await expect(scheduler.sweepInterruptedUploads()).resolves.toBe(true);
  });
});
