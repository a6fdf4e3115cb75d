import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { putStream } from './http-transfer';

const MIB = 1024 * 1024;

describe('putStream', () => {
  let server: http.Server;
  let url: string;
  let received: Promise<{ bytes: number; complete: boolean }>;
  let firstBytes: Promise<void>;

  beforeEach(async () => {
    let report: (r: { bytes: number; complete: boolean }) => void = () => undefined;
    received = new Promise((resolve) => (report = resolve));
    let arrived: () => void = () => undefined;
    firstBytes = new Promise((resolve) => (arrived = resolve));
    // Reads slowly, so the upload is still running when the test aborts it.
    server = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        arrived();
        req.pause();
        setTimeout(() => req.resume(), 5);
      });
      req.on('end', () => {
        report({ bytes, complete: true });
        res.end();
      });
      req.on('close', () => report({ bytes, complete: false }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/put`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('stops sending when its signal is aborted, and ends the body', async () => {
    const total = 1024 * MIB;
    let produced = 0;
    let bodyEnded = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        while (produced < total) {
          produced += MIB;
          yield Buffer.alloc(MIB);
        }
      } finally {
        bodyEnded = true;
      }
    }
    const abort = new AbortController();
    const reason = new Error('the vault could not be opened');
    const put = putStream(url, { headers: {}, contentLength: total, body: body(), signal: abort.signal });
    // Aborted once the upload is under way (a fixed delay raced the connection on a busy machine).
    await firstBytes;
    abort.abort(reason);

    await expect(put).rejects.toMatchObject({ name: 'AbortError' });

    const seen = await received;
    expect(seen.complete).toBe(false);
    expect(seen.bytes).toBeLessThan(total);
    expect(produced).toBeLessThan(total);
    expect(bodyEnded).toBe(true);
  });

  it('sends the whole body when its signal is never aborted', async () => {
    const total = 3 * MIB + 7;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(MIB);
      yield Buffer.alloc(2 * MIB + 7);
    }
    const answer = await putStream(url, { headers: {}, contentLength: total, body: body(), signal: new AbortController().signal });
    expect(answer.status).toBe(200);
    expect(await received).toEqual({ bytes: total, complete: true });
  });
});
