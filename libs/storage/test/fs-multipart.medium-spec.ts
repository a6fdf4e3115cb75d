import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_PART_BYTES, type UploadPartTarget, type UploadPermission } from '../src';
import { startFsBlobServer, type FsBlobServer } from './fs-blob-server';

// What the fs driver adds to the multipart contract: the API's permission hook, its layout on disk.
describe('fs driver multipart uploads', () => {
  let fs: FsBlobServer;
  const permissions = new Map<string, UploadPermission>();
  const asked: [string, UploadPartTarget | undefined][] = [];

  beforeAll(async () => {
    fs = await startFsBlobServer({
      mayUpload: async (key, part) => {
        asked.push([key, part]);
        return permissions.get(key);
      },
    });
  });

  afterAll(async () => {
    await fs?.stop();
  });

  afterEach(() => {
    expect(fs.errors).toEqual([]);
  });

  let n = 0;
  const freshKey = () => `usrh-mp/${++n}-${randomBytes(4).toString('hex')}`;

  async function putPart(key: string, uploadId: string, partNumber: number, body: Uint8Array) {
    const put = await fs.store.presignUploadPart(key, uploadId, { partNumber, contentLength: body.length, expiresInSec: 60 });
    const res = await fetch(put.url, { method: put.method, headers: put.headers, body });
    return { status: res.status, body: (await res.text()) || undefined };
  }

  it('asks the API about every part PUT, naming the upload and part, before and after the body', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 100 });
    const uploadId = await fs.store.createMultipartUpload(key);

    expect((await putPart(key, uploadId, 3, randomBytes(10))).status).toBe(200);

    expect(asked.filter(([k]) => k === key)).toEqual([
      [key, { uploadId, partNumber: 3 }],
      [key, { uploadId, partNumber: 3 }],
    ]);
  });

  it('refuses a part for a key the API no longer allows, and one larger than it allows', async () => {
    const key = freshKey();
    const uploadId = await fs.store.createMultipartUpload(key);
    permissions.set(key, { maxBytes: 5 });

    const tooLarge = await putPart(key, uploadId, 1, randomBytes(6));
    permissions.delete(key);
    const closed = await putPart(key, uploadId, 1, randomBytes(5));

    expect(tooLarge.status).toBe(413);
    expect(closed.status).toBe(403);
    expect(JSON.parse(closed.body ?? '{}')).toMatchObject({ code: 'UPLOAD_CLOSED' });
    expect(await fs.store.listParts(key, uploadId)).toEqual([]);
  });

  it('answers a part PUT to an aborted upload 404 NO_SUCH_UPLOAD', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 100 });
    const uploadId = await fs.store.createMultipartUpload(key);
    await fs.store.abortMultipartUpload(key, uploadId);

    const res = await putPart(key, uploadId, 1, randomBytes(5));

    expect(res.status).toBe(404);
    expect(JSON.parse(res.body ?? '{}')).toMatchObject({ code: 'NO_SUCH_UPLOAD' });
  });

  it('keeps uploads out of object listings, and removes parts and temporary files once complete', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 2 * MIN_PART_BYTES });
    const uploadId = await fs.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(MIN_PART_BYTES));
    await putPart(key, uploadId, 2, randomBytes(1));
    const listed = [];
    for await (const object of fs.store.list('')) listed.push(object.key);
    expect(listed).not.toContainEqual(expect.stringContaining('multipart'));

    await fs.store.completeMultipartUpload(key, uploadId, await fs.store.listParts(key, uploadId));

    expect((await readdir(join(fs.root, '~multipart'))).filter((name) => name.startsWith(uploadId))).toEqual([]);
    expect((await readdir(join(fs.root, 'usrh-mp'))).filter((name) => name.includes('~'))).toEqual([]);
    expect(await fs.store.head(key)).toEqual({ size: MIN_PART_BYTES + 1 });
  });

  it('refuses to complete onto a key that is a prefix of other keys, and keeps the upload', async () => {
    const key = freshKey();
    permissions.set(`${key}/inner`, { maxBytes: 10 });
    const inner = await fs.store.presignPut(`${key}/inner`, { contentLength: 1, expiresInSec: 60 });
    expect((await fetch(inner.url, { method: 'PUT', headers: inner.headers, body: 'x' })).status).toBe(200);
    permissions.set(key, { maxBytes: 10 });
    const uploadId = await fs.store.createMultipartUpload(key);
    await putPart(key, uploadId, 1, randomBytes(3));
    const parts = await fs.store.listParts(key, uploadId);

    await expect(fs.store.completeMultipartUpload(key, uploadId, parts)).rejects.toMatchObject({ code: 'KEY_CONFLICT' });

    expect(await fs.store.listParts(key, uploadId)).toEqual(parts);
    expect((await readdir(join(fs.root, 'usrh-mp'))).filter((name) => name.includes('~'))).toEqual([]);
  });

  it('sweeps what a crash during completion or abort leaves, once idle, and never a live upload', async () => {
    const key = freshKey();
    const live = await fs.store.createMultipartUpload(key);
    const leftover = join(fs.root, '~multipart', `${'a'.repeat(32)}~gone-00000000`);
    await mkdir(leftover);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(leftover, old, old);
    await utimes(join(fs.root, '~multipart', live), old, old);

    expect(await fs.store.sweepStaleTempFiles(60_000)).toBe(1);

    await expect(stat(leftover)).rejects.toThrow();
    expect(await fs.store.listParts(key, live)).toEqual([]);
  });
});
