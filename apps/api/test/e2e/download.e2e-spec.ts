import { randomBytes } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { DownloadsService } from '../../src/modules/downloads/downloads.service';
import { complete, OffsetClock, presign, putBlob, STORAGE_DRIVERS, uploadFile } from './files.e2e-helpers';

const LIMIT = 3;

function link(t: TestApp, key: string, method = 'GET'): Promise<Response> {
  return fetch(`${t.baseUrl}/files/download/${key}`, { method, redirect: 'manual' });
}

async function counterRows(t: TestApp, fileId: string): Promise<number[]> {
  return (await t.database.prisma.downloadCounter.findMany({ where: { fileId } })).map((r) => r.count);
}

function secondsToUtcMidnight(now: Date): number {
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
}

describe.each(STORAGE_DRIVERS)('download links with the %s storage driver', (storage) => {
  let t: TestApp;
  let owner: TestUser;
  const clock = new OffsetClock();

  beforeAll(async () => {
    t = await startTestApp({ storage, clock, env: { DAILY_DOWNLOAD_LIMIT: String(LIMIT), ACCESS_TOKEN_TTL_SECONDS: '2592000' } });
    owner = await createVerifiedUser(t);
  });

  afterAll(() => t?.close());

  it('allows the daily limit, then answers the 4th download with 429 and Retry-After until UTC midnight', async () => {
    const { key, bytes } = await uploadFile(t, owner, { size: 333 });

    for (let i = 0; i < LIMIT; i++) {
      const res = await link(t, key);
      expect(res.status).toBe(303);
      const blob = await fetch(res.headers.get('location')!);
      expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true);
    }
    const fourth = await link(t, key);

    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('location')).toBeNull();
    expect(await fourth.json()).toEqual({ error: expect.any(String), code: 'DOWNLOAD_LIMIT' });
    const retryAfter = Number(fourth.headers.get('retry-after'));
    const expected = secondsToUtcMidnight(clock.now());
    expect(retryAfter).toBeGreaterThan(expected - 5);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    expect(await counterRows(t, key.split('/')[1])).toEqual([LIMIT]);
  });

  it('never exceeds the limit under concurrent downloads', async () => {
    const { key, fileId } = await uploadFile(t, owner);

    const statuses = await Promise.all(Array.from({ length: 15 }, async () => (await link(t, key)).status));

    expect(statuses.filter((s) => s === 303)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15 - LIMIT);
    expect(await counterRows(t, fileId)).toEqual([LIMIT]);
  });

  it('does not count HEAD requests, and answers them without a Location', async () => {
    const { key, fileId } = await uploadFile(t, owner);

    for (let i = 0; i < 5; i++) {
      const head = await link(t, key, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('location')).toBeNull();
    }
    expect(await counterRows(t, fileId)).toEqual([]);
    for (let i = 0; i < LIMIT; i++) expect((await link(t, key)).status).toBe(303);
    expect((await link(t, key, 'HEAD')).status).toBe(429);
    expect((await link(t, key)).status).toBe(429);
  });

  it('does not count meta requests', async () => {
    const { key, fileId } = await uploadFile(t, owner, { complete: { plaintext_hash: 'c'.repeat(64) } });

    for (let i = 0; i < 5; i++) {
      const meta = await call(t, 'GET', `/files/meta/${key}`);
      expect(meta).toMatchObject({ status: 200, body: { file_name: 'blob.bin', key_management_mode: 'vault', plaintext_hash: 'c'.repeat(64), passphrase_salt: '' } });
    }
    expect(await counterRows(t, fileId)).toEqual([]);
    expect((await link(t, key)).status).toBe(303);
  });

  it('counts per file and per UTC day', async () => {
    const a = await uploadFile(t, owner);
    const b = await uploadFile(t, owner);
    for (let i = 0; i < LIMIT; i++) expect((await link(t, a.key)).status).toBe(303);
    expect((await link(t, a.key)).status).toBe(429);
    expect((await link(t, b.key)).status).toBe(303);

    clock.advance(24 * 60 * 60_000);

    expect((await link(t, a.key)).status).toBe(303);
    clock.advance(4 * 24 * 60 * 60_000);
    expect(await t.app.get(DownloadsService).pruneCounters()).toBeGreaterThanOrEqual(2);
    expect(await counterRows(t, b.fileId)).toEqual([]);
  });

  it('answers 404 for anything but an uploaded file under its own owner hash, and counts nothing', async () => {
    const other = await createVerifiedUser(t);
    const { fileId, key } = await uploadFile(t, owner);
    const pending = await presign(t, owner, { file_name: 'p', mime_type: 'x/y', size: 4 });
    expect(await putBlob(pending.body.upload_resource, randomBytes(4))).toBe(200);
    const ownHash = ownerHash(t.config.secrets.userIdHash, owner.id);
    const deleted = await uploadFile(t, owner);
    expect((await call(t, 'DELETE', `/api/files?id=${deleted.fileId}`, { user: owner })).status).toBe(204);

    for (const path of [
      `${ownerHash(t.config.secrets.userIdHash, other.id)}/${fileId}`,
      `${ownHash}/${pending.body.file_id}`,
      deleted.key,
      `${ownHash}/${fileId.toUpperCase()}`,
      `${ownHash.slice(0, -1)}/${fileId}`,
      `usrh-zz/${fileId}`,
      `${ownHash}/not-a-uuid`,
      `${ownHash}/00000000-0000-4000-8000-000000000000`,
      `${ownHash}/${fileId}/extra`,
    ]) {
      for (const route of ['download', 'meta']) {
        const res = await call(t, 'GET', `/files/${route}/${path}`);
        expect({ route, path, status: res.status }).toEqual({ route, path, status: 404 });
      }
    }
    expect(await counterRows(t, fileId)).toEqual([]);
    expect(await counterRows(t, pending.body.file_id)).toEqual([]);
    // The pending upload becomes downloadable once completed.
    expect((await complete(t, owner, pending.body.file_id)).status).toBe(200);
    expect((await link(t, `${ownHash}/${pending.body.file_id}`)).status).toBe(303);
    expect((await link(t, key)).status).toBe(303);
  });
});
