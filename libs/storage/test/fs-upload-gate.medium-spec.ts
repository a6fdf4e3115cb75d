import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { UploadPermission } from '../src';
import { startFsBlobServer, type FsBlobServer } from './fs-blob-server';

// The API decides whether a key still takes an upload; a signed URL alone is not enough.
describe('fs blob handler: upload permission and deadline', () => {
  let fs: FsBlobServer;
  const permissions = new Map<string, UploadPermission>();
  const asked: string[] = [];

  beforeAll(async () => {
    fs = await startFsBlobServer({
      mayUpload: async (key) => {
        asked.push(key);
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
  const freshKey = () => `usrh-gate/${++n}-${randomBytes(4).toString('hex')}`;

  async function put(key: string, body: Uint8Array, contentLength?: number) {
    const url = await fs.store.presignPut(key, { contentLength, expiresInSec: 60 });
    const res = await fetch(url.url, { method: 'PUT', headers: url.headers, body });
    return { status: res.status, body: (await res.text()) || undefined };
  }

  it('stores a body for a key the API allows', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 100 });

    expect((await put(key, randomBytes(100))).status).toBe(200);
    expect(await fs.store.head(key)).toEqual({ size: 100 });
    expect(asked.filter((k) => k === key)).toHaveLength(2);
  });

  it('refuses a key the API no longer allows (completed, deleted, failed) and keeps the object as it was', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 100 });
    expect((await put(key, randomBytes(10), 10)).status).toBe(200);
    permissions.delete(key);

    const again = await put(key, randomBytes(50), 50);

    expect(again.status).toBe(403);
    expect(JSON.parse(again.body ?? '{}')).toMatchObject({ code: 'UPLOAD_CLOSED' });
    expect(await fs.store.head(key)).toEqual({ size: 10 });
  });

  it("refuses a body over the key's limit when the URL signed no length", async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 1000 });

    const res = await put(key, randomBytes(1001));

    expect(res.status).toBe(413);
    expect(await fs.store.head(key)).toBeUndefined();
    expect((await put(key, randomBytes(1000))).status).toBe(200);
  });

  it('stores nothing when the key is closed while the body is arriving', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 100 });
    let calls = 0;
    const closing = new Map(permissions);
    const gated = await startFsBlobServer({ mayUpload: async (k) => (++calls === 1 ? closing.get(k) : undefined) });
    try {
      const url = await gated.store.presignPut(key, { contentLength: 5, expiresInSec: 60 });
      const res = await fetch(url.url, { method: 'PUT', headers: url.headers, body: randomBytes(5) });
      expect(res.status).toBe(403);
      expect(await gated.store.head(key)).toBeUndefined();
      expect(await readdir(join(gated.root, 'usrh-gate'))).toEqual([]);
    } finally {
      await gated.stop();
    }
  });

  it('cuts a PUT still arriving when its URL expires and leaves nothing behind', async () => {
    const key = freshKey();
    permissions.set(key, { maxBytes: 1_000_000 });
    const url = new URL((await fs.store.presignPut(key, { contentLength: 1000, expiresInSec: 2 })).url);
    const socket = connect(Number(url.port), url.hostname);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    socket.write(
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n`,
    );
    const trickle = setInterval(() => socket.writable && socket.write(randomBytes(5)), 100);
    try {
      const text = await answer;
      expect(text === '' || /^HTTP\/1\.1 403/.test(text)).toBe(true);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(await fs.store.head(key)).toBeUndefined();
    expect(await readdir(join(fs.root, 'usrh-gate')).then((names) => names.filter((name) => name.startsWith(key.split('/')[1])))).toEqual([]);
  }, 10_000);
});
