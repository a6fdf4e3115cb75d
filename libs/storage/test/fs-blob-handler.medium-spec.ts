import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createFsBlobHandler } from '../src';
import { startFsBlobServer, type FsBlobServer } from './fs-blob-server';

// What only the filesystem driver's own HTTP endpoint does; the shared behaviour is in the contract.
describe('createFsBlobHandler', () => {
  let fs: FsBlobServer;

  beforeAll(async () => {
    fs = await startFsBlobServer();
  });

  afterAll(async () => {
    await fs?.stop();
  });

  afterEach(() => {
    expect(fs.errors).toEqual([]);
  });

  let n = 0;
  const freshKey = () => `usrh-handler/${++n}-${randomBytes(4).toString('hex')}`;
  const octets = { 'Content-Type': 'application/octet-stream' };

  async function stored(key: string, body: Uint8Array) {
    const put = await fs.store.presignPut(key, { contentLength: body.length, expiresInSec: 60 });
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body })).status).toBe(200);
  }

  async function filesUnder(directory: string): Promise<string[]> {
    const entries = await readdir(join(fs.root, directory)).catch(() => []);
    return entries.sort();
  }

  it('answers HEAD on a GET URL with the headers and no body', async () => {
    const key = freshKey();
    await stored(key, randomBytes(42));
    const get = await fs.store.presignGet(key, { expiresInSec: 60, filename: 'a.bin' });

    const res = await fetch(get.url, { method: 'HEAD' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('42');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="a.bin"');
    expect(await res.text()).toBe('');
  });

  it('serves the whole object for a Range it does not serve, and says it takes byte ranges (issue 19)', async () => {
    const key = freshKey();
    const body = randomBytes(1000);
    await stored(key, body);
    const get = await fs.store.presignGet(key, { expiresInSec: 60 });

    const cases: Record<string, string>[] = [{}, { Range: 'bytes=0-1,5-9' }, { Range: 'items=0-1' }, { Range: 'bytes=9-2' }, { Range: 'bytes=-' }, { Range: 'bytes=0-9', 'If-Range': '"x"' }];
    for (const headers of cases) {
      const res = await fetch(get.url, { headers });
      expect({ headers, status: res.status, acceptRanges: res.headers.get('accept-ranges') }).toEqual({ headers, status: 200, acceptRanges: 'bytes' });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    }
  });

  it('answers a HEAD with a range like the GET, a suffix range, and 416 with a JSON body', async () => {
    const key = freshKey();
    await stored(key, randomBytes(1000));
    const get = await fs.store.presignGet(key, { expiresInSec: 60 });

    const head = await fetch(get.url, { method: 'HEAD', headers: { Range: 'bytes=100-199' } });
    const suffix = await fetch(get.url, { headers: { Range: 'bytes=-10' } });
    const zero = await fetch(get.url, { headers: { Range: 'bytes=-0' } });

    expect([head.status, head.headers.get('content-range'), head.headers.get('content-length')]).toEqual([206, 'bytes 100-199/1000', '100']);
    expect([suffix.status, suffix.headers.get('content-range'), (await suffix.arrayBuffer()).byteLength]).toEqual([206, 'bytes 990-999/1000', 10]);
    expect(await head.text()).toBe('');
    expect(zero.status).toBe(416);
    expect(zero.headers.get('content-range')).toBe('bytes */1000');
    expect(await zero.json()).toEqual({ error: expect.any(String), code: 'RANGE_NOT_SATISFIABLE' });
  });

  it('names the error in a JSON body', async () => {
    const key = freshKey();
    const expired = fs.storeWith({ clock: { now: () => new Date(Date.now() - 120_000) } });
    const get = await expired.presignGet(key, { expiresInSec: 60 });
    const put = await fs.store.presignPut(key, { contentLength: 3, expiresInSec: 60 });

    const expiredRes = await fetch(get.url);
    const wrongMethodRes = await fetch(put.url.replace('X-Coffer-Method=PUT', 'X-Coffer-Method=GET'));
    const missingRes = await fetch((await fs.store.presignGet(key, { expiresInSec: 60 })).url);

    expect(expiredRes.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await expiredRes.json()).toEqual({ error: 'This URL has expired.', code: 'URL_EXPIRED' });
    expect(wrongMethodRes.status).toBe(403);
    expect(await wrongMethodRes.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(missingRes.status).toBe(404);
    expect(await missingRes.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 413 and 400 for a Content-Length above and below the signed length', async () => {
    const key = freshKey();
    const put = await fs.store.presignPut(key, { contentLength: 10, expiresInSec: 60 });

    const longer = await fetch(put.url, { method: 'PUT', headers: octets, body: randomBytes(11) });
    const shorter = await fetch(put.url, { method: 'PUT', headers: octets, body: randomBytes(9) });

    expect([longer.status, await longer.json()]).toEqual([413, expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' })]);
    expect([shorter.status, await shorter.json()]).toEqual([400, expect.objectContaining({ code: 'LENGTH_MISMATCH' })]);
  });

  it('answers 411 to a chunked upload without Content-Length', async () => {
    const key = freshKey();
    const put = await fs.store.presignPut(key, { contentLength: 4, expiresInSec: 60 });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3, 4]));
        controller.close();
      },
    });

    const res = await fetch(put.url, { method: 'PUT', headers: octets, body, duplex: 'half' });

    expect(res.status).toBe(411);
    expect(await fs.store.head(key)).toBeUndefined();
  });

  it('answers 415 to a body that is not application/octet-stream', async () => {
    const put = await fs.store.presignPut(freshKey(), { expiresInSec: 60 });

    const res = await fetch(put.url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' });

    expect(res.status).toBe(415);
  });

  it('refuses an unsigned-length body above the store maximum', async () => {
    const small = fs.storeWith({ maxObjectBytes: 8 });
    const put = new URL((await small.presignPut(freshKey(), { expiresInSec: 60 })).url);

    const status = await withServer(createFsBlobHandler(small), undefined, async (origin) => {
      const res = await fetch(origin + put.pathname + put.search, { method: 'PUT', headers: octets, body: randomBytes(9) });
      return res.status;
    });

    expect(status).toBe(413);
  });

  it('answers 405 to other methods and 404 outside /storage/ or for an invalid key', async () => {
    const key = freshKey();
    const put = await fs.store.presignPut(key, { expiresInSec: 60 });

    expect((await fetch(put.url, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(put.url.replace('/storage/', '/other/'))).status).toBe(404);
    expect((await fetch(put.url.replace(key, 'usrh-handler/%2e%2e'))).status).toBe(404);
  });

  it('reads the target from originalUrl when mounted below a path, as Express does', async () => {
    const key = freshKey();
    await stored(key, Buffer.from('mounted'));
    const get = new URL((await fs.store.presignGet(key, { expiresInSec: 60 })).url);

    const body = await withServer(createFsBlobHandler(fs.store), '/storage', async (origin) => {
      const res = await fetch(origin + get.pathname + get.search);
      return res.text();
    });

    expect(body).toBe('mounted');
  });

  it('removes the partial file when the client disconnects mid-upload', async () => {
    const key = freshKey();
    await stored(key, Buffer.from('previous'));
    const put = new URL((await fs.store.presignPut(key, { contentLength: 1000, expiresInSec: 60 })).url);
    const [directory, name] = key.split('/');
    const socket = connect(Number(put.port), put.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));

    socket.write(
      `PUT ${put.pathname}${put.search} HTTP/1.1\r\nHost: ${put.host}\r\n` +
        'Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n',
    );
    socket.write(randomBytes(500));
    await waitFor(async () => (await filesUnder(directory)).some((file) => file.startsWith(`${name}~`)));
    socket.destroy();
    await waitFor(async () => !(await filesUnder(directory)).some((file) => file.startsWith(`${name}~`)));

    expect(await fs.store.head(key)).toEqual({ size: 'previous'.length });
  });

  it('leaves only the object itself after an upload', async () => {
    const key = freshKey();

    await stored(key, randomBytes(10));

    expect(await filesUnder(key.split('/')[0])).toContain(key.split('/')[1]);
    expect((await filesUnder(key.split('/')[0])).filter((file) => file.includes('~'))).toEqual([]);
  });
});

/** Serves `handler` on its own loopback port; `mountAt` mimics Express's `app.use(mountAt, handler)`. */
async function withServer<T>(
  handler: ReturnType<typeof createFsBlobHandler>,
  mountAt: string | undefined,
  use: (origin: string) => Promise<T>,
): Promise<T> {
  const server = createServer((req, res) => {
    if (mountAt !== undefined) {
      Object.assign(req, { originalUrl: req.url, url: req.url?.slice(mountAt.length) });
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
