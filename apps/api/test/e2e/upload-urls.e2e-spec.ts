import { randomBytes } from 'node:crypto';
import { ownerHash, type StoredObject } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { FileReconciliationService } from '../../src/modules/files/file-reconciliation.service';
import { FilesScheduler } from '../../src/modules/files/files.scheduler';
import { UPLOAD_GRACE_MS } from '../../src/modules/storage/upload-grace';
import { login, registerVerified } from './auth.e2e-helpers';
import { complete, fileRow, OffsetClock, overwriteObject, presign, putBlob, STORAGE_DRIVERS, UploadResource, usage } from './files.e2e-helpers';

const MAX_FILE_SIZE = 300_000;

// An upload URL must not outlive its file: the fs driver refuses the PUT; on S3, where a URL
// cannot be revoked, the reconciliation job deletes what landed and usage never counts it.
describe.each(STORAGE_DRIVERS)('upload URLs that outlive their file, %s storage driver', (storage) => {
  let t: TestApp;
  let clock: OffsetClock;
  let reconciliation: FileReconciliationService;

  beforeAll(async () => {
    clock = new OffsetClock();
    t = await startTestApp({
      storage,
      clock,
      env: { MAX_FILE_SIZE_BYTES: String(MAX_FILE_SIZE), USER_QUOTA_BYTES: '10000', ACCESS_TOKEN_TTL_SECONDS: '31536000' },
    });
    reconciliation = t.app.get(FileReconciliationService);
  });

  afterAll(() => t?.close());

  const keyOf = (user: TestUser, fileId: string) => `${ownerHash(t.config.secrets.userIdHash, user.id)}/${fileId}`;

  async function listed(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for await (const object of t.store.list(prefix)) objects.push(object);
    return objects;
  }

  /** presign without a size → PUT → complete; returns the URL for a later attack. */
  async function completedWithUrl(user: TestUser, size = 100): Promise<{ fileId: string; key: string; url: UploadResource; bytes: Buffer }> {
    const p = await presign(t, user, { file_name: 'a.bin', mime_type: 'application/octet-stream' });
    const bytes = randomBytes(size);
    expect(await putBlob(p.body.upload_resource, bytes)).toBe(200);
    expect((await complete(t, user, p.body.file_id)).status).toBe(200);
    return { fileId: p.body.file_id, key: keyOf(user, p.body.file_id), url: p.body.upload_resource, bytes };
  }

  /** What a late PUT left must be gone once the reconciliation job ran past the upload grace. */
  async function expectRefusedOrReconciled(putStatus: number, key: string): Promise<void> {
    if (storage === 'fs') {
      expect(putStatus).toBe(403);
      expect(await t.store.head(key)).toBeUndefined();
      return;
    }
    expect(putStatus).toBe(200);
    clock.advance(UPLOAD_GRACE_MS + 1000);
    await reconciliation.reconcile();
    expect(await t.store.head(key)).toBeUndefined();
  }

  // First: the other tests move the clock past the grace of anything written now.
  it('reconciliation leaves pending uploads and recent objects alone', async () => {
    const user = await createVerifiedUser(t);
    const p = await presign(t, user, { file_name: 'in progress', mime_type: 'x/y', size: 50 });
    expect(await putBlob(p.body.upload_resource, randomBytes(50))).toBe(200);
    await overwriteObject(t, `${ownerHash(t.config.secrets.userIdHash, user.id)}/just-landed`, randomBytes(5));

    await reconciliation.reconcile();

    expect(await t.store.head(keyOf(user, p.body.file_id))).toEqual({ size: 50 });
    expect(await t.store.head(`${ownerHash(t.config.secrets.userIdHash, user.id)}/just-landed`)).toEqual({ size: 5 });
    expect((await complete(t, user, p.body.file_id)).status).toBe(200);
  });

  it('after DELETE /api/files: the old URL stores nothing that lasts, and usage stays 0', async () => {
    const user = await createVerifiedUser(t);
    const file = await completedWithUrl(user);
    expect((await call(t, 'DELETE', `/api/files?id=${file.fileId}`, { user })).status).toBe(204);

    const status = await putBlob(file.url, randomBytes(24_000));

    await expectRefusedOrReconciled(status, file.key);
    expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, file_count: 0 });
  });

  it('after a failed complete: the old URL stores nothing that lasts, and usage is unchanged', async () => {
    const user = await createVerifiedUser(t);
    const p = await presign(t, user, { file_name: 'too big', mime_type: 'x/y', size: 10 });
    const key = keyOf(user, p.body.file_id);
    await overwriteObject(t, key, randomBytes(11));
    expect((await complete(t, user, p.body.file_id)).status).toBe(413);

    const status = await putBlob(p.body.upload_resource, randomBytes(10));

    await expectRefusedOrReconciled(status, key);
    expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, file_count: 0 });
  });

  it("after account deletion: nothing stays under the deleted account's prefix", async () => {
    const registered = await registerVerified(t, `gone-${storage}@example.com`);
    const session = await login(t, registered.email, registered.password);
    const user: TestUser = { id: registered.id, email: registered.email, accessToken: session.access_token, auth: { Authorization: `Bearer ${session.access_token}` } };
    const pending = await presign(t, user, { file_name: 'later', mime_type: 'x/y' });
    const file = await completedWithUrl(user);
    const deleted = await call(t, 'DELETE', '/api/user', { body: { email: registered.email, password: registered.password } });
    expect(deleted.status).toBe(204);
    const prefix = `${ownerHash(t.config.secrets.userIdHash, user.id)}/`;

    const statuses = [await putBlob(file.url, randomBytes(200_000)), await putBlob(pending.body.upload_resource, randomBytes(200_000))];

    if (storage === 'fs') {
      expect(statuses).toEqual([403, 403]);
    } else {
      expect(statuses).toEqual([200, 200]);
      clock.advance(UPLOAD_GRACE_MS + 1000);
      await reconciliation.reconcile();
    }
    expect(await listed(prefix)).toEqual([]);
  });

  it('a PUT to a completed file\'s URL cannot change its object (fs: refused; S3: the file is failed, the object deleted)', async () => {
    const user = await createVerifiedUser(t);
    const file = await completedWithUrl(user);

    const status = await putBlob(file.url, randomBytes(3000));

    if (storage === 'fs') {
      expect(status).toBe(403);
      const get = await t.store.presignGet(file.key, { expiresInSec: 60 });
      expect(Buffer.from(await (await fetch(get.url)).arrayBuffer())).toEqual(file.bytes);
      expect(await usage(t, user)).toMatchObject({ used_bytes: 100, file_count: 1 });
    } else {
      expect(status).toBe(200);
      await reconciliation.reconcile();
      expect((await fileRow(t, file.fileId))?.status).toBe('failed');
      expect(await t.store.head(file.key)).toBeUndefined();
      expect(await usage(t, user)).toMatchObject({ used_bytes: 0, reserved_bytes: 0, file_count: 0 });
    }
  });

  it('reconciliation fails a completed file whose object grew or vanished, deletes the object and releases its usage', async () => {
    const user = await createVerifiedUser(t);
    const steady = await completedWithUrl(user);
    const grown = await completedWithUrl(user);
    const vanished = await completedWithUrl(user);
    await overwriteObject(t, grown.key, randomBytes(3000));
    await t.store.delete(vanished.key);
    expect(await usage(t, user)).toMatchObject({ used_bytes: 300, file_count: 3 });

    clock.advance(UPLOAD_GRACE_MS + 1000);
    const result = await reconciliation.reconcile();

    expect(result.sizeMismatches).toBeGreaterThanOrEqual(1);
    expect(result.missing).toBeGreaterThanOrEqual(1);
    expect((await fileRow(t, grown.fileId))?.status).toBe('failed');
    expect((await fileRow(t, vanished.fileId))?.status).toBe('failed');
    expect((await fileRow(t, steady.fileId))?.status).toBe('uploaded');
    expect(await t.store.head(grown.key)).toBeUndefined();
    expect(await t.store.head(steady.key)).toEqual({ size: 100 });
    expect(await usage(t, user)).toMatchObject({ used_bytes: 100, reserved_bytes: 0, file_count: 1 });
  });

  it('runs the reconciliation through the exclusive job runner', async () => {
    await expect(t.app.get(FilesScheduler).reconcileStorage()).resolves.toBe(true);
  });

  if (storage === 'fs') {
    it('a URL presigned without a size refuses a body over MAX_FILE_SIZE_BYTES', async () => {
      const user = await createVerifiedUser(t);
      const p = await presign(t, user, { file_name: 'huge', mime_type: 'x/y' });

      expect(await putBlob(p.body.upload_resource, randomBytes(MAX_FILE_SIZE + 1))).toBe(413);
      expect(await t.store.head(keyOf(user, p.body.file_id))).toBeUndefined();
      expect(await putBlob(p.body.upload_resource, randomBytes(MAX_FILE_SIZE))).toBe(200);
    });
  }

  it('gives every request a deadline (no requestTimeout = 0)', () => {
    const server = t.app.getHttpServer();
    expect(server.requestTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.requestTimeout).toBeLessThanOrEqual((t.config.ttl.presignSeconds + 60) * 1000);
  });
});
