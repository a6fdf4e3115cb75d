import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import type { TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { api, checkLedger, completeBody, filesOnDisk, InProcessApp, putBlob, startInProcess } from './faults.e2e-helpers';

const MIB = 1024 * 1024;
const VOLUME_MIB = 8;

/**
 * A full disk under the fs driver: DATA_DIR on a real 8 MiB tmpfs. Mounting needs root, which the
 * test machines and CI (.ci/run) run as; elsewhere this file is skipped, saying so.
 */
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('faults-disk-full: skipped, mounting a small tmpfs needs root');

(asRoot ? describe : describe.skip)('fault: the fs driver volume is full', () => {
  let db: TestDatabase;
  let volume: string;
  let t: InProcessApp;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    volume = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${VOLUME_MIB}m,mode=0700`, 'tmpfs', volume]);
    t = await startInProcess({ databaseUrl: db.url!, dataDir: volume, env: { STORAGE_DRIVER: 'fs' } });
    user = await createVerifiedUser(t as unknown as TestApp);
  });

  afterAll(async () => {
    await t?.close();
    if (volume) {
      execFileSync('umount', [volume]);
      fs.rmSync(volume, { recursive: true, force: true });
    }
    await db?.drop();
  });

  const presign = (size: number) =>
    api(t.baseUrl, 'POST', '/api/files/presign', { token: user.accessToken, body: { file_name: 'f.bin', mime_type: 'application/octet-stream', size } });
  const usage = async () => (await api(t.baseUrl, 'GET', '/api/user/usage', { token: user.accessToken })).body;
  const blobs = () => filesOnDisk(path.join(volume, 'blobs'));

  it('refuses an upload that does not fit with 507 STORAGE_FULL, keeps no partial object, leaves usage as it was, and keeps serving', async () => {
    const first = randomBytes(5 * MIB);
    const a = await presign(first.length);
    expect(await putBlob(a.body.upload_resource, first)).toBe(200);
    expect((await api(t.baseUrl, 'POST', '/api/files/complete', { token: user.accessToken, body: completeBody(a.body.file_id, first.length) })).status).toBe(200);
    const stored = blobs();
    expect(stored).toHaveLength(1);

    // 5 MiB more does not fit on what is left of 8 MiB: the disk fills up in the middle of the body.
    const second = randomBytes(5 * MIB);
    const b = await presign(second.length);
    const put = await fetch(b.body.upload_resource.url, { method: 'PUT', headers: b.body.upload_resource.headers, body: second });
    expect(put.status).toBe(507);
    expect(await put.json()).toEqual({ error: expect.any(String), code: 'STORAGE_FULL' });
    expect(blobs()).toEqual(stored); // the temporary file is gone
    expect(fs.statfsSync(volume).bavail * fs.statfsSync(volume).bsize).toBeGreaterThan(2 * MIB);

    const complete = await api(t.baseUrl, 'POST', '/api/files/complete', { token: user.accessToken, body: completeBody(b.body.file_id, second.length) });
    expect([complete.status, complete.body.code]).toEqual([409, 'UPLOAD_INCOMPLETE']);
    expect(await usage()).toMatchObject({ used_bytes: first.length, reserved_bytes: second.length, file_count: 2 });
    // The client gives the upload up (or the expiry job fails it): its reservation is released.
    expect((await api(t.baseUrl, 'DELETE', `/api/files?id=${b.body.file_id}`, { token: user.accessToken })).status).toBe(204);
    expect(await usage()).toMatchObject({ used_bytes: first.length, reserved_bytes: 0, file_count: 1 });

    // Still serving: an upload that fits goes through, and the first object reads back whole.
    const small = randomBytes(64 * 1024);
    const c = await presign(small.length);
    expect(await putBlob(c.body.upload_resource, small)).toBe(200);
    expect((await api(t.baseUrl, 'POST', '/api/files/complete', { token: user.accessToken, body: completeBody(c.body.file_id, small.length) })).status).toBe(200);
    expect(fs.readFileSync(path.join(volume, 'blobs', stored[0])).equals(first)).toBe(true);
    expect((await api(t.baseUrl, 'GET', '/api/readyz')).status).toBe(200);
    const ledger = await checkLedger(db.url!);
    expect(ledger.drifted).toEqual([]);
    expect(ledger.totals.counters).toEqual(ledger.totals.files);
  }, 60_000);
});
