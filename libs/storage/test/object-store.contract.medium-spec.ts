import { randomBytes, randomUUID } from 'node:crypto';
import { contentDisposition, InvalidObjectKeyError } from '../src';
import { drivers, type Harness } from './store-harness';

describe.each(drivers)('ObjectStore contract: $driver driver', ({ start, servesUnicodeFilenames }) => {
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

  const freshKey = () => `t-${randomUUID()}/${randomUUID()}`;

  async function upload(key: string, body: Uint8Array, contentLength: number | undefined = body.length) {
    const put = await h.store.presignPut(key, { contentLength, expiresInSec: 60 });
    return fetch(put.url, { method: put.method, headers: put.headers, body });
  }

  async function download(key: string) {
    const get = await h.store.presignGet(key, { expiresInSec: 60 });
    return fetch(get.url);
  }

  describe('presignPut', () => {
    it('gives a URL that takes a plain PUT with exactly 200 and an empty body', async () => {
      const key = freshKey();
      const body = randomBytes(3000);

      const put = await h.store.presignPut(key, { contentLength: body.length, expiresInSec: 60 });
      const res = await fetch(put.url, { method: put.method, headers: put.headers, body });

      expect(put.method).toBe('PUT');
      expect(put.headers).toEqual({ 'Content-Type': 'application/octet-stream' });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect(await h.store.head(key)).toEqual({ size: 3000 });
    });

    it('reports when the URL expires', async () => {
      const before = Date.now();
      const put = await h.store.presignPut(freshKey(), { expiresInSec: 600 });

      expect(put.expiresAt.getTime()).toBeGreaterThan(before + 598_000);
      expect(put.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
    });

    it('accepts any length when no length was signed', async () => {
      const key = freshKey();

      const res = await upload(key, randomBytes(777), undefined);

      expect(res.status).toBe(200);
      expect(await h.store.head(key)).toEqual({ size: 777 });
    });

    it('accepts an empty object when the signed length is 0', async () => {
      const key = freshKey();

      expect((await upload(key, new Uint8Array(0))).status).toBe(200);
      expect(await h.store.head(key)).toEqual({ size: 0 });
    });

    it('refuses a body longer than the signed length and stores nothing', async () => {
      const key = freshKey();
      const put = await h.store.presignPut(key, { contentLength: 10, expiresInSec: 60 });

      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: randomBytes(11) });

      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('refuses a body shorter than the signed length and stores nothing', async () => {
      const key = freshKey();
      const put = await h.store.presignPut(key, { contentLength: 10, expiresInSec: 60 });

      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: randomBytes(9) });

      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('keeps the existing object intact when a PUT of the wrong length is refused', async () => {
      const key = freshKey();
      const original = randomBytes(10);
      await upload(key, original);
      const put = await h.store.presignPut(key, { contentLength: 10, expiresInSec: 60 });

      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: randomBytes(20) });

      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(Buffer.from(await (await download(key)).arrayBuffer())).toEqual(original);
    });

    it('refuses a body sent with another Content-Type', async () => {
      const key = freshKey();
      const put = await h.store.presignPut(key, { contentLength: 5, expiresInSec: 60 });

      const res = await fetch(put.url, { method: 'PUT', headers: { 'Content-Type': 'text/html' }, body: '<b>x</b>' });

      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('refuses a URL whose signature was tampered with', async () => {
      const key = freshKey();
      const put = await h.store.presignPut(key, { contentLength: 5, expiresInSec: 60 });

      const res = await fetch(tamperSignature(put.url), { method: 'PUT', headers: put.headers, body: 'hello' });

      expect(res.status).toBe(403);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('refuses an expired URL', async () => {
      const key = freshKey();
      const anHourAgo = { now: () => new Date(Date.now() - 3_600_000) };
      const put = await h.storeWithClock(anHourAgo).presignPut(key, { contentLength: 5, expiresInSec: 60 });

      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'hello' });

      expect(res.status).toBe(403);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('gives a URL that cannot be used for GET', async () => {
      const key = freshKey();
      await upload(key, randomBytes(5));
      const put = await h.store.presignPut(key, { contentLength: 5, expiresInSec: 60 });

      expect((await fetch(put.url)).status).toBe(403);
    });
  });

  describe('presignGet', () => {
    it('serves the exact bytes with the file name as an attachment', async () => {
      const key = freshKey();
      const body = randomBytes(100_000);
      await upload(key, body);

      const get = await h.store.presignGet(key, { expiresInSec: 60, filename: 'report 2026.pdf' });
      const res = await fetch(get.url, { method: get.method, headers: get.headers });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('100000');
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="report 2026.pdf"');
      // Buffer.equals: jest's deep equality walks 100 kB byte by byte and takes ~0.3 s.
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    });

    (servesUnicodeFilenames ? it : it.skip)('serves any Unicode file name as RFC 5987 filename*', async () => {
      const key = freshKey();
      await upload(key, randomBytes(5));
      const filename = 'résumé "final" 💾\\\'*.txt';

      const get = await h.store.presignGet(key, { expiresInSec: 60, filename });
      const res = await fetch(get.url);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(contentDisposition(filename));
    });

    it('refuses a URL whose signature was tampered with', async () => {
      const key = freshKey();
      await upload(key, randomBytes(5));
      const get = await h.store.presignGet(key, { expiresInSec: 60 });

      expect((await fetch(tamperSignature(get.url))).status).toBe(403);
    });

    it('refuses an expired URL', async () => {
      const key = freshKey();
      await upload(key, randomBytes(5));
      const anHourAgo = { now: () => new Date(Date.now() - 3_600_000) };
      const get = await h.storeWithClock(anHourAgo).presignGet(key, { expiresInSec: 60 });

      expect((await fetch(get.url)).status).toBe(403);
    });

    it('gives a URL that cannot be used for PUT', async () => {
      const key = freshKey();
      const get = await h.store.presignGet(key, { expiresInSec: 60 });

      const res = await fetch(get.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: 'hello',
      });

      expect(res.status).toBe(403);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('answers 404 for a missing object', async () => {
      expect((await download(freshKey())).status).toBe(404);
    });

    it('serves byte ranges with 206 and Content-Range, and 416 for a range past the end (issue 19)', async () => {
      const key = freshKey();
      const body = randomBytes(300_000);
      await upload(key, body);
      const get = await h.store.presignGet(key, { expiresInSec: 60 });
      const ranged = (range: string) => fetch(get.url, { headers: { Range: range } });

      for (const [range, start, end] of [
        ['bytes=0-65567', 0, 65_567],
        ['bytes=131136-262271', 131_136, 262_271],
        ['bytes=262272-', 262_272, 299_999],
        ['bytes=299990-999999', 299_990, 299_999],
        // No suffix range (bytes=-n) here: the S3 test server (s3rver) gets it wrong; fs covers it.
      ] as const) {
        const res = await ranged(range);
        expect({ range, status: res.status, contentRange: res.headers.get('content-range') }).toEqual({ range, status: 206, contentRange: `bytes ${start}-${end}/300000` });
        expect(res.headers.get('content-length')).toBe(String(end - start + 1));
        expect(Buffer.from(await res.arrayBuffer()).equals(body.subarray(start, end + 1))).toBe(true);
      }
      const past = await ranged('bytes=300000-300100');
      expect(past.status).toBe(416);
      await past.arrayBuffer();
    });
  });

  describe('head', () => {
    it('answers undefined for a missing key', async () => {
      expect(await h.store.head(freshKey())).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('removes the object and succeeds again when it is already gone', async () => {
      const key = freshKey();
      await upload(key, randomBytes(5));

      await h.store.delete(key);
      await h.store.delete(key);

      expect(await h.store.head(key)).toBeUndefined();
    });

    it('succeeds for a key that never existed', async () => {
      await expect(h.store.delete(freshKey())).resolves.toBeUndefined();
    });
  });

  describe('deletePrefix', () => {
    it('deletes exactly the objects under the prefix and returns how many', async () => {
      const doomed = ['usrh-aaaa/1', 'usrh-aaaa/2', 'usrh-aaaa/3'];
      const kept = ['usrh-aaab/1', 'usrh-aaaa0/1', 'usrh-aaa/1'];
      for (const key of [...doomed, ...kept]) {
        expect((await upload(key, randomBytes(3))).status).toBe(200);
      }

      expect(await h.store.deletePrefix('usrh-aaaa/')).toBe(3);

      for (const key of doomed) {
        expect(await h.store.head(key)).toBeUndefined();
      }
      for (const key of kept) {
        expect(await h.store.head(key)).toEqual({ size: 3 });
      }
      expect(await h.store.deletePrefix('usrh-aaaa/')).toBe(0);
    });

    it('treats the prefix as a string prefix, like S3', async () => {
      for (const key of ['usrh-pp1/a', 'usrh-pp2/b', 'usrh-pq/c']) {
        await upload(key, randomBytes(1));
      }

      expect(await h.store.deletePrefix('usrh-pp')).toBe(2);
      expect(await h.store.head('usrh-pq/c')).toEqual({ size: 1 });
    });

    it('refuses an empty prefix instead of emptying the store', async () => {
      await expect(h.store.deletePrefix('')).rejects.toThrow(InvalidObjectKeyError);
    });
  });

  describe('list', () => {
    async function listed(prefix: string) {
      const objects = [];
      for await (const object of h.store.list(prefix)) objects.push(object);
      return objects;
    }

    it('lists the objects under a prefix with size and time', async () => {
      const before = Date.now() - 5000;
      const keys = ['usrh-ls/b', 'usrh-ls/a.x', 'usrh-ls/a/z', 'usrh-ls/a/b/c', 'usrh-ls/A', 'usrh-ls0/q', 'usrh-lt/1'];
      for (const [i, key] of keys.entries()) {
        expect((await upload(key, randomBytes(i + 1))).status).toBe(200);
      }

      const objects = (await listed('usrh-ls')).sort((a, b) => (a.key < b.key ? -1 : 1));

      expect(objects.map((o) => o.key)).toEqual(['usrh-ls/A', 'usrh-ls/a.x', 'usrh-ls/a/b/c', 'usrh-ls/a/z', 'usrh-ls/b', 'usrh-ls0/q']);
      expect(objects.map((o) => o.size)).toEqual([5, 2, 4, 3, 1, 6]);
      for (const object of objects) {
        expect(object.lastModified.getTime()).toBeGreaterThan(before);
      }
      expect((await listed('usrh-ls/a/')).map((o) => o.key).sort()).toEqual(['usrh-ls/a/b/c', 'usrh-ls/a/z']);
      expect(await listed('usrh-none/')).toEqual([]);
    });

    it("lists the whole store with '' and never shows a deleted object", async () => {
      const key = freshKey();
      await upload(key, randomBytes(2));
      expect((await listed('')).map((o) => o.key)).toContain(key);

      await h.store.delete(key);

      expect((await listed('')).map((o) => o.key)).not.toContain(key);
    });

    it('refuses an invalid prefix', async () => {
      await expect(listed('../x')).rejects.toThrow(InvalidObjectKeyError);
    });
  });

  describe('ping', () => {
    it('succeeds on a usable store', async () => {
      await expect(h.store.ping()).resolves.toBeUndefined();
    });

    it('fails when the bucket or directory is missing', async () => {
      await expect(h.missingStore().ping()).rejects.toThrow();
    });
  });

  describe('keys', () => {
    it.each(['../etc/passwd', '/abs', 'a//b', 'a/./b', 'a b', 'a\\b', 'ü', ''])('refuses %j', async (key) => {
      await expect(h.store.presignPut(key, { expiresInSec: 60 })).rejects.toThrow(InvalidObjectKeyError);
      await expect(h.store.presignGet(key, { expiresInSec: 60 })).rejects.toThrow(InvalidObjectKeyError);
      await expect(h.store.head(key)).rejects.toThrow(InvalidObjectKeyError);
      await expect(h.store.delete(key)).rejects.toThrow(InvalidObjectKeyError);
    });
  });
});

/** Flips the last hex digit of the signature, wherever the driver puts it. */
function tamperSignature(url: string): string {
  const parsed = new URL(url);
  for (const name of ['X-Amz-Signature', 'X-Coffer-Signature']) {
    const signature = parsed.searchParams.get(name);
    if (signature !== null) {
      const last = signature.at(-1) === '0' ? '1' : '0';
      parsed.searchParams.set(name, signature.slice(0, -1) + last);
      return parsed.toString();
    }
  }
  throw new Error(`no signature in ${url}`);
}
