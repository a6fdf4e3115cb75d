import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import { FaultRelay } from '../../../../test/helpers/fault-relay';
import { SmtpCapture } from '../../../../test/helpers/smtp-capture';
import { DEAD_ROW_RETENTION_MS, FileMaintenanceService, UPLOAD_GRACE_MS } from '../../src/modules/files/file-maintenance.service';
import { FileReconciliationService } from '../../src/modules/files/file-reconciliation.service';
import { api, checkLedger, completeBody, fileRows, filesOnDisk, freePort, putBlob, ServerProcess, signUp, startInProcess, until, viaPort } from './faults.e2e-helpers';
import { OffsetClock } from './files.e2e-helpers';

const SIZE = 64 * 1024;
// Well above what loopback socket buffers hold, so the kill lands mid-body.
const LARGE = 16 * 1024 * 1024;

/**
 * kill -9 of the built server (fs storage) in the middle of a complete, an upload and a download.
 * PostgreSQL is reached through a relay that freezes the connection carrying the completion at a
 * chosen point, so "during" is exact, not timed. The client retries against the restarted server;
 * then the clean-up jobs are run by hand and nothing may be orphaned or drift.
 */
describe('fault: kill -9 of the server', () => {
  let db: TestDatabase;
  let mail: SmtpCapture;
  let relay: FaultRelay;
  let port: number;
  let server: ServerProcess;
  let token: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    [db, mail, port] = await Promise.all([createTestDatabase(), SmtpCapture.start(), freePort()]);
    relay = await FaultRelay.start(Number(new URL(db.url!).port || 5432));
    env = { DATABASE_URL: viaPort(db.url!, relay.port), DATA_DIR: db.dataDir, SMTP_URL: mail.url, STORAGE_DRIVER: 'fs' };
    server = await ServerProcess.start(port, env);
    token = await signUp(server.baseUrl, mail);
  }, 90_000);

  afterAll(async () => {
    await server?.kill9();
    await relay?.stop();
    await mail?.stop();
    await db?.drop();
  });

  const presign = async (size: number) =>
    (await api(server.baseUrl, 'POST', '/api/files/presign', { token, body: { file_name: 'k.bin', mime_type: 'application/octet-stream', size } })).body;
  const complete = (fileId: string, size: number) => api(server.baseUrl, 'POST', '/api/files/complete', { token, body: completeBody(fileId, size) });
  const usage = async () => (await api(server.baseUrl, 'GET', '/api/user/usage', { token })).body;
  const uploaded: { id: string; bytes: Buffer }[] = [];

  /** A complete whose SQL the relay freezes at `point`; resolves once frozen, with the client's outcome to come. */
  const frozenComplete = async (point: 'request' | 'reply') => {
    const bytes = randomBytes(SIZE);
    const upload = await presign(SIZE);
    expect(await putBlob(upload.upload_resource, bytes)).toBe(200);
    const held = relay.hold('complete_upload(', point);
    const outcome = complete(upload.file_id, SIZE).then(
      (a) => `answered ${a.status}`,
      (err: Error) => err.name,
    );
    await held;
    return { id: upload.file_id, bytes, outcome };
  };

  /** A PUT with half its body on disk (the temporary file exists); resolves with how the client saw it end. */
  const halfUpload = async () => {
    const bytes = randomBytes(SIZE);
    const upload = await presign(SIZE);
    const req = http.request(upload.upload_resource.url, { method: 'PUT', headers: { ...upload.upload_resource.headers, 'Content-Length': String(SIZE) } });
    const outcome = new Promise<string>((resolve) => {
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.on('response', (res) => resolve(`answered ${res.statusCode}`));
    });
    req.write(bytes.subarray(0, SIZE / 2));
    const blobs = path.join(db.dataDir, 'blobs');
    await until('half the body on disk', () => (filesOnDisk(blobs).some((f) => f.includes(`${upload.file_id}~`)) ? true : undefined));
    return { upload, bytes, outcome };
  };

  /** A download of a LARGE file with its first bytes received and the client no longer reading: the server is blocked mid-body. */
  const stalledDownload = async () => {
    const bytes = randomBytes(LARGE);
    const upload = await presign(LARGE);
    expect(await putBlob(upload.upload_resource, bytes)).toBe(200);
    const done = await complete(upload.file_id, LARGE);
    expect(done.status).toBe(200);
    const link = `${server.baseUrl}/files/download/${done.body.s3_object_key}`;
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    let received = 0;
    let paused: (() => void) | undefined;
    let firstBytes!: () => void;
    const started = new Promise<void>((resolve) => (firstBytes = resolve));
    const ended = new Promise<string>((resolve) => {
      http.get(first.headers.get('location')!, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (paused) return;
          res.pause();
          paused = () => void res.resume();
          firstBytes();
        });
        res.on('error', () => undefined);
        // `complete` is false when the connection closed before the whole Content-Length arrived.
        res.on('close', () => resolve(res.complete ? 'complete' : 'cut'));
      });
    });
    await started;
    return { id: upload.file_id, bytes, link, ended, received: () => received, resume: () => paused?.() };
  };

  it('one kill with a complete (not yet in PostgreSQL), an upload and a download in flight: each retry succeeds, nothing counts twice', async () => {
    const download = await stalledDownload();
    uploaded.push({ id: download.id, bytes: download.bytes });
    const put = await halfUpload();
    const before = await usage();
    const frozen = await frozenComplete('request');

    await server.kill9();
    download.resume();
    expect(await frozen.outcome).toBe('TypeError'); // fetch failed: the connection died without an answer
    expect(await put.outcome).toMatch(/^(ECONNRESET|EPIPE)$/);
    expect(await download.ended).toBe('cut');
    expect(download.received()).toBeLessThan(LARGE); // a cut body (short of its Content-Length), never a wrong one
    server = await ServerProcess.start(port, env);

    const retried = await complete(frozen.id, SIZE);
    expect([retried.status, retried.body.uploaded_file_size]).toEqual([200, SIZE]);
    uploaded.push({ id: frozen.id, bytes: frozen.bytes });
    // The PUT again through the same URL (same secrets and port after the restart).
    expect(await putBlob(put.upload.upload_resource, put.bytes)).toBe(200);
    expect((await complete(put.upload.file_id, SIZE)).status).toBe(200);
    uploaded.push({ id: put.upload.file_id, bytes: put.bytes });
    expect(await usage()).toMatchObject({ used_bytes: before.used_bytes + 2 * SIZE, reserved_bytes: before.reserved_bytes - SIZE });
    // A download link asked again counts again, and serves the whole object.
    const again = await fetch(download.link, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(Buffer.from(await (await fetch(again.headers.get('location')!)).arrayBuffer()).equals(download.bytes)).toBe(true);
  }, 90_000);

  it('a kill after PostgreSQL committed a complete, before the server answered: the retried complete answers the same 200, the file counts once', async () => {
    const before = await usage();
    const frozen = await frozenComplete('reply');
    await server.kill9();
    expect(await frozen.outcome).toBe('TypeError');
    server = await ServerProcess.start(port, env);

    const retried = await complete(frozen.id, SIZE);
    expect([retried.status, retried.body.uploaded_file_size]).toEqual([200, SIZE]);
    uploaded.push({ id: frozen.id, bytes: frozen.bytes });
    expect(await usage()).toMatchObject({ used_bytes: before.used_bytes + SIZE, reserved_bytes: before.reserved_bytes, file_count: before.file_count + 1 });
  }, 90_000);

  it('after the kills, the clean-up jobs leave exactly the uploaded objects, and no counter drifted', async () => {
    await server.kill9();
    // The jobs run by hand in this process, on the same database and data directory, with the
    // clock past every upload window and the dead-row retention.
    const clock = new OffsetClock();
    const t = await startInProcess({ databaseUrl: db.url!, dataDir: db.dataDir, clock, env: { STORAGE_DRIVER: 'fs' } });
    try {
      const jobs = t.app.get(FileMaintenanceService);
      clock.advance(900_000 + UPLOAD_GRACE_MS + DEAD_ROW_RETENTION_MS + 1000);
      await jobs.expireStaleUploads();
      expect(await jobs.recheckCompletedSizes()).toEqual({ verified: uploaded.length, failed: 0 });
      await jobs.retryObjectRemoval();
      expect(await t.app.get(FileReconciliationService).reconcile()).toMatchObject({ orphansDeleted: 0, sizeMismatches: 0, missing: 0 });
      expect(await jobs.sweepInterruptedUploads()).toBe(1); // the killed PUT's temporary file
      await jobs.purgeDeadRows();
    } finally {
      await t.close();
    }

    const rows = await fileRows(db.url!);
    expect(rows.map((r) => `${r.id} ${r.status}`).sort()).toEqual(uploaded.map((u) => `${u.id} uploaded`).sort());
    expect(filesOnDisk(path.join(db.dataDir, 'blobs'))).toEqual(rows.map((r) => r.object_key).sort());
    const ledger = await checkLedger(db.url!);
    expect(ledger.drifted).toEqual([]);
    expect(ledger.totals.counters).toEqual([uploaded.reduce((sum, u) => sum + u.bytes.length, 0), 0]);
    expect(ledger.totals.counters).toEqual(ledger.totals.files);
  }, 90_000);
});
