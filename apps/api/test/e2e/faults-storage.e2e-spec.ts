import { randomBytes } from 'node:crypto';
import { createS3Client, S3ObjectStore } from '@coffer/storage';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import { FaultRelay } from '../../../../test/helpers/fault-relay';
import { addBucketPathSlashWorkaround, S3TestServer, startS3Server } from '../../../../test/helpers/s3-server';
import type { TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { DEAD_ROW_RETENTION_MS, FileMaintenanceService, UPLOAD_GRACE_MS } from '../../src/modules/files/file-maintenance.service';
import { FileReconciliationService } from '../../src/modules/files/file-reconciliation.service';
import { api, checkLedger, completeBody, fileRows, InProcessApp, putBlob, startInProcess } from './faults.e2e-helpers';
import { OffsetClock } from './files.e2e-helpers';

const SIZE = 2048;
const PAST_UPLOAD_WINDOW_MS = 900_000 + UPLOAD_GRACE_MS + 1000;

/**
 * S3 unreachable (the bucket behind a relay that drops every connection and refuses new ones)
 * during presign, complete, delete and the clean-up jobs, which are run by hand here.
 */
describe('fault: S3 storage unreachable', () => {
  let db: TestDatabase;
  let s3: S3TestServer;
  let relay: FaultRelay;
  let t: InProcessApp;
  let clock: OffsetClock;
  let user: TestUser;
  let jobs: FileMaintenanceService;
  let reconciliation: FileReconciliationService;

  beforeAll(async () => {
    [db, s3] = await Promise.all([createTestDatabase(), startS3Server()]);
    relay = await FaultRelay.start(Number(new URL(s3.endpoint).port));
    clock = new OffsetClock();
    const endpoint = `http://127.0.0.1:${relay.port}`;
    t = await startInProcess({
      databaseUrl: db.url!,
      dataDir: db.dataDir,
      clock,
      // Tokens must outlive the clock jumps below.
      env: { S3_BUCKET: s3.bucket, S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, ACCESS_TOKEN_TTL_SECONDS: '31536000' },
      store: () => {
        const client = createS3Client({ endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
        addBucketPathSlashWorkaround(client);
        return new S3ObjectStore({ bucket: s3.bucket, client });
      },
    });
    user = await createVerifiedUser(t as unknown as TestApp);
    jobs = t.app.get(FileMaintenanceService);
    reconciliation = t.app.get(FileReconciliationService);
  });

  afterAll(async () => {
    await t?.close();
    await relay?.stop();
    await s3?.stop();
    await db?.drop();
  });

  const token = () => user.accessToken;
  const presign = () => api(t.baseUrl, 'POST', '/api/files/presign', { token: token(), body: { file_name: 'f.bin', mime_type: 'application/octet-stream', size: SIZE } });
  const complete = (fileId: string) => api(t.baseUrl, 'POST', '/api/files/complete', { token: token(), body: completeBody(fileId, SIZE) });
  const usage = async () => (await api(t.baseUrl, 'GET', '/api/user/usage', { token: token() })).body;
  const row = async (id: string) => (await fileRows(db.url!)).find((r) => r.id === id);
  /** The bucket's keys, read past the relay. */
  const bucketKeys = async () => {
    const keys: string[] = [];
    for await (const object of s3.store().list('')) keys.push(object.key);
    return keys;
  };

  it('answers what it can, refuses the rest with 503 and Retry-After, records nothing half way, and its jobs finish the work once storage is back', async () => {
    // Before the outage: a completed file (to delete), one uploaded but not completed, one never uploaded.
    const kept = (await presign()).body;
    expect(await putBlob(kept.upload_resource, randomBytes(SIZE))).toBe(200);
    expect((await complete(kept.file_id)).status).toBe(200);
    const uploaded = (await presign()).body;
    expect(await putBlob(uploaded.upload_resource, randomBytes(SIZE))).toBe(200);
    const neverSent = (await presign()).body;
    expect(neverSent.file_id).toEqual(expect.any(String));

    await relay.cut();
    const ready = await api(t.baseUrl, 'GET', '/api/readyz');
    expect([ready.status, ready.body.storage]).toEqual([503, 'down']);
    // Presign signs locally: it succeeds, and the client's PUT is what fails (network error).
    const duringOutage = await presign();
    expect(duringOutage.status).toBe(200);
    expect(await putBlob(duringOutage.body.upload_resource, randomBytes(SIZE))).toBe(0);
    // Complete must HEAD the object: 503 with Retry-After, the file stays pending with its reservation.
    const refused = await complete(uploaded.file_id);
    expect([refused.status, refused.body.code, Number(refused.headers.get('retry-after')) > 0]).toEqual([503, 'SERVICE_UNAVAILABLE', true]);
    expect((await row(uploaded.file_id))?.status).toBe('pending');
    // Delete is the database's decision: done (usage released at once), the object's removal is left to a job.
    expect((await api(t.baseUrl, 'DELETE', `/api/files?id=${kept.file_id}`, { token: token() })).status).toBe(204);
    expect(await row(kept.file_id)).toMatchObject({ status: 'deleted', object_removed_at: null });
    expect(await usage()).toMatchObject({ used_bytes: 0, reserved_bytes: 3 * SIZE, file_count: 3 });
    // The jobs during the outage: nothing removed, the listing job fails (and is run again later).
    expect(await jobs.retryObjectRemoval()).toBe(0);
    await expect(reconciliation.reconcile()).rejects.toThrow();

    await relay.restore();
    expect((await complete(uploaded.file_id)).status).toBe(200);
    expect(await jobs.retryObjectRemoval()).toBe(1);
    expect(await row(kept.file_id)).toMatchObject({ object_removed_at: expect.any(Date) });

    // A second outage while the expiry, re-check and purge jobs are due.
    clock.advance(PAST_UPLOAD_WINDOW_MS);
    await relay.cut();
    expect(await jobs.expireStaleUploads()).toBe(2); // failed in the database, reservations released
    expect(await jobs.recheckCompletedSizes()).toEqual({ verified: 0, failed: 0 }); // postponed
    clock.advance(DEAD_ROW_RETENTION_MS);
    expect(await jobs.purgeDeadRows()).toBe(0); // postponed: the object is deleted once more first
    expect((await fileRows(db.url!)).map((r) => r.status).sort()).toEqual(['deleted', 'failed', 'failed', 'uploaded']);
    expect(await usage()).toMatchObject({ used_bytes: SIZE, reserved_bytes: 0, file_count: 1 });

    await relay.restore();
    expect(await jobs.retryObjectRemoval()).toBe(2);
    expect(await jobs.recheckCompletedSizes()).toEqual({ verified: 1, failed: 0 });
    expect(await reconciliation.reconcile()).toMatchObject({ listed: 1, orphansDeleted: 0, sizeMismatches: 0, missing: 0 });
    expect(await jobs.purgeDeadRows()).toBe(3);

    // Nothing lost, nothing orphaned, no drift.
    const rows = await fileRows(db.url!);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[uploaded.file_id, 'uploaded']]);
    expect(await bucketKeys()).toEqual([rows[0].object_key]);
    expect(await usage()).toMatchObject({ used_bytes: SIZE, reserved_bytes: 0, file_count: 1 });
    const ledger = await checkLedger(db.url!);
    expect(ledger.drifted).toEqual([]);
    expect(ledger.totals.counters).toEqual(ledger.totals.files);
  }, 90_000);
});
