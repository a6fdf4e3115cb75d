import { randomBytes, randomUUID } from 'node:crypto';
import { MAX_PART_BYTES, MIN_PART_BYTES, MultipartUploadError, type MultipartErrorCode, type UploadedPart } from '../src';
import { drivers, type Harness } from './store-harness';

describe.each(drivers)('ObjectStore multipart contract: $driver driver', ({ start }) => {
  let h: Harness;

  beforeAll(async () => {
    h = await start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  afterEach(() => {
    expect(h.internalErrors()).toEqual([]);
  });

  const freshPrefix = () => `t-${randomUUID()}/`;
  const freshKey = () => `${freshPrefix()}${randomUUID()}`;

  async function putPart(key: string, uploadId: string, partNumber: number, body: Uint8Array, contentLength = body.length) {
    const put = await h.store.presignUploadPart(key, uploadId, { partNumber, contentLength, expiresInSec: 60 });
    return fetch(put.url, { method: put.method, headers: put.headers, body });
  }

  async function download(key: string): Promise<Buffer> {
    const get = await h.store.presignGet(key, { expiresInSec: 60 });
    const res = await fetch(get.url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  async function uploads(prefix: string) {
    const found = [];
    for await (const upload of h.store.listMultipartUploads(prefix)) found.push(upload);
    return found;
  }

  async function objects(prefix: string) {
    const found = [];
    for await (const object of h.store.list(prefix)) found.push(object.key);
    return found;
  }

  const completion = (parts: UploadedPart[]) => parts.map(({ partNumber, etag }) => ({ partNumber, etag }));

  async function refusal(promise: Promise<unknown>): Promise<MultipartErrorCode | 'accepted'> {
    try {
      await promise;
    } catch (err) {
      if (err instanceof MultipartUploadError) return err.code;
      throw err;
    }
    return 'accepted';
  }

  it('joins several parts, uploaded in any order, into the exact bytes and ends the upload', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}big`;
    const bodies = [randomBytes(MIN_PART_BYTES), randomBytes(MIN_PART_BYTES + 1), randomBytes(1234)];
    const uploadId = await h.store.createMultipartUpload(key);

    const answers = await Promise.all([3, 1, 2].map((n) => putPart(key, uploadId, n, bodies[n - 1] as Buffer)));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
    const parts = await h.store.listParts(key, uploadId);

    expect(parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, MIN_PART_BYTES],
      [2, MIN_PART_BYTES + 1],
      [3, 1234],
    ]);
    // The etag a part PUT answers is the one listParts reports, as S3 does.
    expect(answers.map((res) => res.headers.get('etag'))).toEqual([parts[2]?.etag, parts[0]?.etag, parts[1]?.etag]);
    expect(await h.store.head(key)).toBeUndefined();

    await h.store.completeMultipartUpload(key, uploadId, completion(parts));

    expect((await download(key)).equals(Buffer.concat(bodies))).toBe(true);
    expect(await h.store.head(key)).toEqual({ size: 2 * MIN_PART_BYTES + 1 + 1234 });
    expect(await uploads(prefix)).toEqual([]);
    expect(await objects(prefix)).toEqual([key]);
    expect(await refusal(h.store.listParts(key, uploadId))).toBe('NO_SUCH_UPLOAD');
  });

  it('stores a one-part upload of any size', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    const body = randomBytes(10);
    expect((await putPart(key, uploadId, 1, body)).status).toBe(200);

    await h.store.completeMultipartUpload(key, uploadId, completion(await h.store.listParts(key, uploadId)));

    expect((await download(key)).equals(body)).toBe(true);
  });

  it.each([
    ['longer', 11],
    ['shorter', 9],
  ])('refuses a part %s than its signed length at PUT and stores nothing', async (_, actual) => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);

    const res = await putPart(key, uploadId, 1, randomBytes(actual), 10);

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await h.store.listParts(key, uploadId)).toEqual([]);
    await h.store.abortMultipartUpload(key, uploadId);
  });

  it('refuses a completion naming a part never uploaded, and the upload stays usable', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    const first = randomBytes(MIN_PART_BYTES);
    await putPart(key, uploadId, 1, first);
    const uploaded = await h.store.listParts(key, uploadId);

    const code = await refusal(
      h.store.completeMultipartUpload(key, uploadId, [...completion(uploaded), { partNumber: 2, etag: uploaded[0]?.etag ?? '' }]),
    );

    expect(code).toBe('INVALID_PART');
    expect(await h.store.head(key)).toBeUndefined();
    expect(await h.store.listParts(key, uploadId)).toEqual(uploaded);
    const last = randomBytes(7);
    await putPart(key, uploadId, 2, last);
    await h.store.completeMultipartUpload(key, uploadId, completion(await h.store.listParts(key, uploadId)));
    expect((await download(key)).equals(Buffer.concat([first, last]))).toBe(true);
  });

  it('refuses a completion whose parts but the last are under 5 MiB', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(MIN_PART_BYTES - 1));
    await putPart(key, uploadId, 2, randomBytes(100));

    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, completion(await h.store.listParts(key, uploadId))))).toBe(
      'PART_TOO_SMALL',
    );
    expect(await h.store.head(key)).toBeUndefined();
    expect(await uploads(key)).toHaveLength(1);
    await h.store.abortMultipartUpload(key, uploadId);
  });

  it('refuses a part list out of order or empty before asking storage', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(MIN_PART_BYTES));
    await putPart(key, uploadId, 2, randomBytes(1));
    const parts = completion(await h.store.listParts(key, uploadId));

    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, [...parts].reverse()))).toBe('INVALID_PART_LIST');
    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, [parts[0], parts[0]]))).toBe('INVALID_PART_LIST');
    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, []))).toBe('INVALID_PART_LIST');
    expect(await h.store.head(key)).toBeUndefined();
    await h.store.abortMultipartUpload(key, uploadId);
  });

  it('keeps the last upload of a part: its etag changes and the old etag is refused', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(1000));
    const before = await h.store.listParts(key, uploadId);
    const replacement = randomBytes(1000);

    expect((await putPart(key, uploadId, 1, replacement)).status).toBe(200);
    const after = await h.store.listParts(key, uploadId);

    expect(after).toHaveLength(1);
    expect(after[0]?.etag).not.toBe(before[0]?.etag);
    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, completion(before)))).toBe('INVALID_PART');
    expect(await h.store.head(key)).toBeUndefined();
    await h.store.completeMultipartUpload(key, uploadId, completion(after));
    expect((await download(key)).equals(replacement)).toBe(true);
  });

  it('leaves nothing behind an abort: no object, no upload, no parts, no more part PUTs', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}gone`;
    const uploadId = await h.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(MIN_PART_BYTES));
    await putPart(key, uploadId, 2, randomBytes(10));

    await h.store.abortMultipartUpload(key, uploadId);

    expect(await uploads(prefix)).toEqual([]);
    expect(await objects(prefix)).toEqual([]);
    expect(await h.store.head(key)).toBeUndefined();
    expect(await refusal(h.store.listParts(key, uploadId))).toBe('NO_SUCH_UPLOAD');
    expect((await putPart(key, uploadId, 3, randomBytes(10))).status).toBe(404);
    expect(await uploads(prefix)).toEqual([]);
    expect(await refusal(h.store.abortMultipartUpload(key, uploadId))).toBe('NO_SUCH_UPLOAD');
    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: '"x"' }]))).toBe('NO_SUCH_UPLOAD');
  });

  it('lists abandoned uploads by key prefix, with when they began', async () => {
    const prefix = freshPrefix();
    const before = Date.now() - 5000;
    const a = await h.store.createMultipartUpload(`${prefix}a`);
    const b1 = await h.store.createMultipartUpload(`${prefix}b`);
    const b2 = await h.store.createMultipartUpload(`${prefix}b`);
    const elsewhere = freshKey();
    const other = await h.store.createMultipartUpload(elsewhere);
    await putPart(`${prefix}a`, a, 1, randomBytes(5));

    const found = await uploads(prefix);

    expect(found.map((u) => [u.key, u.uploadId]).sort()).toEqual(
      [
        [`${prefix}a`, a],
        [`${prefix}b`, b1],
        [`${prefix}b`, b2],
      ].sort(),
    );
    for (const upload of found) {
      expect(upload.initiatedAt.getTime()).toBeGreaterThan(before);
      expect(upload.initiatedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect((await uploads('')).map((u) => u.uploadId)).toEqual(expect.arrayContaining([a, b1, b2, other]));
    // A listing is enough to clean up: abort every upload it names.
    for (const upload of found) await h.store.abortMultipartUpload(upload.key, upload.uploadId);
    expect(await uploads(prefix)).toEqual([]);
    expect((await uploads('')).map((u) => u.uploadId)).toContain(other);
    await h.store.abortMultipartUpload(elsewhere, other);
  });

  it('refuses an upload id used with another key', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    const otherKey = freshKey();

    expect(await refusal(h.store.listParts(otherKey, uploadId))).toBe('NO_SUCH_UPLOAD');
    expect((await putPart(otherKey, uploadId, 1, randomBytes(5))).status).toBe(404);
    expect(await refusal(h.store.abortMultipartUpload(otherKey, uploadId))).toBe('NO_SUCH_UPLOAD');
    expect(await h.store.listParts(key, uploadId)).toEqual([]);
    await h.store.abortMultipartUpload(key, uploadId);
  });

  it('refuses unknown upload ids', async () => {
    const key = freshKey();
    for (const uploadId of ['0123456789abcdef0123456789abcdef', 'not an id', '']) {
      expect(await refusal(h.store.listParts(key, uploadId))).toBe('NO_SUCH_UPLOAD');
      expect(await refusal(h.store.abortMultipartUpload(key, uploadId))).toBe('NO_SUCH_UPLOAD');
    }
  });

  it("enforces S3's part limits before asking storage", async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    const presign = (partNumber: number, contentLength: number) =>
      refusal(h.store.presignUploadPart(key, uploadId, { partNumber, contentLength, expiresInSec: 60 }));

    expect(await presign(0, 1)).toBe('PART_NUMBER_OUT_OF_RANGE');
    expect(await presign(10_001, 1)).toBe('PART_NUMBER_OUT_OF_RANGE');
    expect(await presign(1.5, 1)).toBe('PART_NUMBER_OUT_OF_RANGE');
    expect(await presign(1, MAX_PART_BYTES + 1)).toBe('PART_TOO_LARGE');
    expect(await presign(10_000, MAX_PART_BYTES)).toBe('accepted');
    expect(await refusal(h.store.completeMultipartUpload(key, uploadId, [{ partNumber: 10_001, etag: '"x"' }]))).toBe(
      'PART_NUMBER_OUT_OF_RANGE',
    );
    await h.store.abortMultipartUpload(key, uploadId);
  });

  it('refuses a part URL whose signature was tampered with, or that expired', async () => {
    const key = freshKey();
    const uploadId = await h.store.createMultipartUpload(key);
    const put = await h.store.presignUploadPart(key, uploadId, { partNumber: 1, contentLength: 5, expiresInSec: 60 });
    const anHourAgo = { now: () => new Date(Date.now() - 3_600_000) };
    const expired = await h.storeWithClock(anHourAgo).presignUploadPart(key, uploadId, { partNumber: 1, contentLength: 5, expiresInSec: 60 });

    expect((await fetch(tamperSignature(put.url), { method: 'PUT', headers: put.headers, body: 'hello' })).status).toBe(403);
    expect((await fetch(expired.url, { method: 'PUT', headers: expired.headers, body: 'hello' })).status).toBe(403);
    expect((await fetch(put.url)).status).toBe(403);
    expect(await h.store.listParts(key, uploadId)).toEqual([]);
    await h.store.abortMultipartUpload(key, uploadId);
  });
});

/** Flips the last hex digit of the signature, wherever the driver puts it. */
function tamperSignature(url: string): string {
  const parsed = new URL(url);
  for (const name of ['X-Amz-Signature', 'X-Coffer-Signature']) {
    const signature = parsed.searchParams.get(name);
    if (signature !== null) {
      parsed.searchParams.set(name, signature.slice(0, -1) + (signature.at(-1) === '0' ? '1' : '0'));
      return parsed.toString();
    }
  }
  throw new Error(`no signature in ${url}`);
}
