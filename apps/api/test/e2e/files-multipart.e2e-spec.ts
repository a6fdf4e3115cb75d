import { randomBytes } from 'node:crypto';
import { ownerHash, ownerKeyPrefix, type MultipartUploadInfo } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call, HttpResult } from '../../../../test/helpers/http';
import { MultipartSweeper } from '../../src/modules/files/multipart-sweeper.service';
import { UPLOAD_GRACE_MS } from '../../src/modules/storage/upload-grace';
import { login, registerVerified } from './auth.e2e-helpers';
import { fileRow, OffsetClock, presign, putBlob, RFC3339_UTC, STORAGE_DRIVERS, uploadFile, usage } from './files.e2e-helpers';

const FRAME = 65_568;
/** MULTIPART_PART_FRAMES=80: the smallest part S3 takes (5 MiB). */
const PART = 80 * FRAME;
const SIZE = 2 * PART + 1000;
const THRESHOLD = 1024 * 1024;
const QUOTA = 4 * PART;

interface Plan {
  part_size: number;
  part_count: number;
  last_part_size: number;
  expires_at: string;
}
interface PartUrl {
  part_number: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  size: number;
  expires_at: string;
}

describe.each(STORAGE_DRIVERS)('multipart uploads with the %s storage driver', (storage) => {
  let t: TestApp;
  let alice: TestUser;
  const clock = new OffsetClock();

  beforeAll(async () => {
    t = await startTestApp({
      storage,
      clock,
      env: {
        MULTIPART_THRESHOLD_BYTES: String(THRESHOLD),
        MULTIPART_PART_FRAMES: '80',
        // Every completion answers 202 first unless it is done at once: the poll path is the one tested.
        MULTIPART_COMPLETE_WAIT_MS: '0',
        USER_QUOTA_BYTES: String(QUOTA),
      },
    });
    alice = await createVerifiedUser(t);
    // A fresh database, storage and app: slow when the machine is busy.
  }, 120_000);

  afterAll(() => t?.close());

  async function start(user: TestUser, size = SIZE): Promise<{ fileId: string; plan: Plan }> {
    const p = await presign(t, user, { file_name: 'big.bin', mime_type: 'application/octet-stream', size, multipart: true });
    expect(p.status).toBe(200);
    const body = p.body as unknown as { file_id: string; multipart: Plan };
    return { fileId: body.file_id, plan: body.multipart };
  }

  async function partUrls(user: TestUser, fileId: string, partNumbers: number[]): Promise<HttpResult<{ parts: PartUrl[]; expires_at: string; code?: string }>> {
    return call(t, 'POST', '/api/files/parts', { user, body: { file_id: fileId, part_numbers: partNumbers } });
  }

  /** PUTs a part and answers its ETag. */
  async function putPart(url: PartUrl, bytes: Uint8Array): Promise<string> {
    const res = await fetch(url.url, { method: 'PUT', headers: url.headers, body: bytes });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    return etag as string;
  }

  /** Uploads every part of `bytes` (in parallel) and answers the parts list complete takes. */
  async function uploadParts(user: TestUser, fileId: string, plan: Plan, bytes: Buffer): Promise<{ part_number: number; etag: string }[]> {
    const numbers = Array.from({ length: plan.part_count }, (_, i) => i + 1);
    const urls = await partUrls(user, fileId, numbers);
    expect(urls.status).toBe(200);
    return Promise.all(
      urls.body.parts.map(async (url) => ({
        part_number: url.part_number,
        etag: await putPart(url, bytes.subarray((url.part_number - 1) * plan.part_size, (url.part_number - 1) * plan.part_size + url.size)),
      })),
    );
  }

  /** complete, repeated while it answers 202 (as a client does). */
  async function completeUntilDone(user: TestUser, fileId: string, extra: Record<string, unknown>): Promise<HttpResult> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const res = await call(t, 'POST', '/api/files/complete', {
        user,
        body: { file_id: fileId, plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '', ...extra },
      });
      if (res.status !== 202) return res;
      expect(res.body).toEqual({ file_id: fileId, status: 'completing' });
      expect(res.headers.get('retry-after')).toBe('5');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('complete never finished');
  }

  async function uploadsOf(prefix: string): Promise<MultipartUploadInfo[]> {
    const found: MultipartUploadInfo[] = [];
    for await (const upload of t.store.listMultipartUploads(prefix)) found.push(upload);
    return found;
  }

  function keyOf(user: TestUser, fileId: string): string {
    return `${ownerHash(t.config.secrets.userIdHash, user.id)}/${fileId}`;
  }

  async function download(key: string): Promise<Buffer> {
    const url = await t.store.presignGet(key, { expiresInSec: 60 });
    const res = await fetch(url.url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('round-trips a file of several parts byte-exact and records it as a single PUT would be', async () => {
    const bytes = randomBytes(SIZE);
    const before = await usage(t, alice);
    const { fileId, plan } = await start(alice);
    expect(plan).toEqual({ part_size: PART, part_count: 3, last_part_size: 1000, expires_at: expect.stringMatching(RFC3339_UTC) });
    expect((await usage(t, alice)).reserved_bytes).toBe(before.reserved_bytes + SIZE);

    const parts = await uploadParts(alice, fileId, plan, bytes);
    const listed = await call(t, 'GET', `/api/files/parts?id=${fileId}`, { user: alice });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ file_id: fileId, part_size: PART, part_count: 3, last_part_size: 1000, state: 'uploading' });
    expect(listed.body.parts.map((p: { part_number: number; size: number }) => [p.part_number, p.size])).toEqual([
      [1, PART],
      [2, PART],
      [3, 1000],
    ]);

    const res = await completeUntilDone(alice, fileId, { parts, plaintext_size_bytes: 12345, nonce_prefix: '01a0a1a2a3a4a5' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ s3_object_key: keyOf(alice, fileId), uploaded_file_size: SIZE });
    expect((await download(keyOf(alice, fileId))).equals(bytes)).toBe(true);
    expect(await fileRow(t, fileId)).toMatchObject({ status: 'uploaded', noncePrefix: '01a0a1a2a3a4a5', completingUntil: null });
    expect(await usage(t, alice)).toMatchObject({ used_bytes: before.used_bytes + SIZE, reserved_bytes: before.reserved_bytes });
    expect(await uploadsOf(keyOf(alice, fileId))).toEqual([]);

    // Repeating the completion answers the same; the file is no longer a multipart upload in progress.
    expect((await completeUntilDone(alice, fileId, { parts })).body).toEqual(res.body);
    expect((await partUrls(alice, fileId, [1])).body.code).toBe('NOT_FOUND');
    // Deleting it releases exactly its usage.
    expect((await call(t, 'DELETE', `/api/files?id=${fileId}`, { user: alice })).status).toBe(204);
    expect(await usage(t, alice)).toMatchObject({ used_bytes: before.used_bytes, reserved_bytes: before.reserved_bytes });
  });

  it('keeps the single-PUT answer below the threshold and without the flag, and refuses multipart without a size', async () => {
    const small = await presign(t, alice, { file_name: 's', mime_type: 'x/y', size: THRESHOLD - 1, multipart: true });
    expect(small.status).toBe(200);
    expect(small.body.upload_resource).toBeDefined();
    const plain = await presign(t, alice, { file_name: 's', mime_type: 'x/y', size: SIZE });
    expect(plain.body.upload_resource).toBeDefined();
    expect((await presign(t, alice, { file_name: 's', mime_type: 'x/y', multipart: true })).body.code).toBe('VALIDATION_FAILED');
    for (const p of [small, plain]) await call(t, 'DELETE', `/api/files?id=${p.body.file_id}`, { user: alice });
  });

  it('refuses a size over the quota at presign and starts nothing in storage', async () => {
    const before = await uploadsOf(ownerKeyPrefix(t.config.secrets.userIdHash, alice.id));
    const res = await presign(t, alice, { file_name: 'huge', mime_type: 'x/y', size: QUOTA + 1, multipart: true });
    expect(res).toMatchObject({ status: 403, body: { code: 'QUOTA_EXCEEDED' } });
    expect(await uploadsOf(ownerKeyPrefix(t.config.secrets.userIdHash, alice.id))).toEqual(before);
  });

  it('refuses a part of the wrong size, a missing part and a part re-uploaded with other bytes; abort leaves nothing', async () => {
    const bytes = randomBytes(SIZE);
    const before = await usage(t, alice);
    const { fileId } = await start(alice);
    const urls = (await partUrls(alice, fileId, [1, 2, 3])).body.parts;
    expect(urls.map((u) => u.size)).toEqual([PART, PART, 1000]);

    // The URL's length is signed in: storage refuses a body of another length.
    expect(await putBlob(urls[2], randomBytes(999))).not.toBe(200);
    expect(await putBlob(urls[2], randomBytes(1001))).not.toBe(200);

    const etag1 = await putPart(urls[0], bytes.subarray(0, PART));
    const etag3 = await putPart(urls[2], bytes.subarray(2 * PART));
    const named = (etag2: string) => [
      { part_number: 1, etag: etag1 },
      { part_number: 2, etag: etag2 },
      { part_number: 3, etag: etag3 },
    ];
    const missing = await completeUntilDone(alice, fileId, { parts: named('"0"') });
    expect(missing).toMatchObject({ status: 409, body: { code: 'UPLOAD_INCOMPLETE' } });
    expect(missing.body.error).toContain('part 2');
    expect((await fileRow(t, fileId))?.status).toBe('pending');

    const etag2 = await putPart(urls[1], bytes.subarray(PART, 2 * PART));
    // Part 1 replaced with other bytes of the same length: the etag named is no longer what storage holds.
    const replaced = await putPart(urls[0], randomBytes(PART));
    expect(replaced).not.toBe(etag1);
    const mismatch = await completeUntilDone(alice, fileId, { parts: named(etag2) });
    expect(mismatch).toMatchObject({ status: 409, body: { code: 'PART_MISMATCH' } });
    expect(mismatch.body.error).toContain('Part 1');
    expect((await fileRow(t, fileId))?.status).toBe('pending');

    // A list that is not every part of the plan, in order, is a bad request.
    expect((await completeUntilDone(alice, fileId, { parts: named(etag2).slice(0, 2) })).body.code).toBe('VALIDATION_FAILED');
    expect((await completeUntilDone(alice, fileId, {})).body.code).toBe('VALIDATION_FAILED');
    expect((await partUrls(alice, fileId, [4])).body.code).toBe('VALIDATION_FAILED');
    expect((await partUrls(alice, fileId, [1, 1])).body.code).toBe('VALIDATION_FAILED');

    // Abort: the upload and its parts are gone and the reservation is released.
    expect((await call(t, 'DELETE', `/api/files?id=${fileId}`, { user: alice })).status).toBe(204);
    expect(await uploadsOf(keyOf(alice, fileId))).toEqual([]);
    expect(await t.store.head(keyOf(alice, fileId))).toBeUndefined();
    expect(await usage(t, alice)).toMatchObject({ used_bytes: before.used_bytes, reserved_bytes: before.reserved_bytes });
    expect((await partUrls(alice, fileId, [1])).body.code).toBe('NOT_FOUND');
  });

  it("answers 404 for another user's upload and refuses parts for a single-PUT file", async () => {
    const bob = await createVerifiedUser(t);
    const { fileId } = await start(alice);
    expect((await partUrls(bob, fileId, [1])).status).toBe(404);
    expect((await call(t, 'GET', `/api/files/parts?id=${fileId}`, { user: bob })).status).toBe(404);
    await call(t, 'DELETE', `/api/files?id=${fileId}`, { user: alice });

    const single = await uploadFile(t, alice, { size: 100 });
    const res = await call(t, 'POST', '/api/files/complete', {
      user: alice,
      body: { file_id: single.fileId, plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '', parts: [{ part_number: 1, etag: '"x"' }] },
    });
    expect(res.body.code).toBe('VALIDATION_FAILED');
    await call(t, 'DELETE', `/api/files?id=${single.fileId}`, { user: alice });
  });

  it('hands out no part URLs while a completion holds the upload, and says so to a resuming client', async () => {
    const { fileId } = await start(alice);
    // As a completion running on some server holds it.
    await t.database.prisma.file.update({ where: { id: fileId }, data: { completingUntil: new Date(Date.now() + 60_000) } });
    expect(await partUrls(alice, fileId, [1])).toMatchObject({ status: 409, body: { code: 'UPLOAD_COMPLETING' } });
    expect((await call(t, 'GET', `/api/files/parts?id=${fileId}`, { user: alice })).body).toMatchObject({ state: 'completing', parts: [] });
    const held = await call(t, 'POST', '/api/files/complete', {
      user: alice,
      body: { file_id: fileId, plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '', parts: [1, 2, 3].map((n) => ({ part_number: n, etag: '"x"' })) },
    });
    expect(held).toMatchObject({ status: 202, body: { file_id: fileId, status: 'completing' } });
    // Its hold lapsed (its server died): the upload is usable again.
    await t.database.prisma.file.update({ where: { id: fileId }, data: { completingUntil: new Date(Date.now() - 1) } });
    expect((await partUrls(alice, fileId, [1])).status).toBe(200);
    expect((await call(t, 'DELETE', `/api/files?id=${fileId}`, { user: alice })).status).toBe(204);
    expect(await uploadsOf(keyOf(alice, fileId))).toEqual([]);
  });

  it('aborts uploads abandoned past the presign lifetime, found by listing storage', async () => {
    const before = await usage(t, alice);
    const { fileId } = await start(alice);
    const [url] = (await partUrls(alice, fileId, [1])).body.parts;
    await putPart(url, randomBytes(PART));
    // An upload no file names (as after a crash between creating and recording it).
    const strayKey = keyOf(alice, '00000000-0000-4000-8000-000000000001');
    await t.store.createMultipartUpload(strayKey);
    const sweeper = t.app.get(MultipartSweeper);

    // Within the lifetime nothing is touched.
    await sweeper.abortAbandoned();
    expect((await fileRow(t, fileId))?.status).toBe('pending');
    expect(await uploadsOf(strayKey)).toHaveLength(1);

    clock.advance(t.config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS + 60_000);
    try {
      await sweeper.abortAbandoned();
    } finally {
      clock.advance(-(t.config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS + 60_000));
    }
    expect((await fileRow(t, fileId))?.status).toBe('failed');
    expect(await uploadsOf(keyOf(alice, fileId))).toEqual([]);
    expect(await uploadsOf(strayKey)).toEqual([]);
    expect(await usage(t, alice)).toMatchObject({ used_bytes: before.used_bytes, reserved_bytes: before.reserved_bytes });
  });

  it('aborts the multipart uploads of a deleted account', async () => {
    const leaving = await registerVerified(t, `mp-leaving-${randomBytes(4).toString('hex')}@example.com`);
    const session = await login(t, leaving.email, leaving.password);
    const user: TestUser = { id: leaving.id, email: leaving.email, accessToken: session.access_token, auth: { Authorization: `Bearer ${session.access_token}` } };
    const { fileId } = await start(user);
    const [url] = (await partUrls(user, fileId, [1])).body.parts;
    await putPart(url, randomBytes(PART));
    const prefix = ownerKeyPrefix(t.config.secrets.userIdHash, user.id);
    expect(await uploadsOf(prefix)).toHaveLength(1);

    expect((await call(t, 'DELETE', '/api/user', { body: { email: leaving.email, password: leaving.password } })).status).toBe(204);

    expect(await uploadsOf(prefix)).toEqual([]);
  });
});
