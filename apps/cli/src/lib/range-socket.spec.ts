import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DirectRangeClient, UNSUPPORTED } from './range-socket';

describe('DirectRangeClient: ranged GETs read straight into the caller\'s buffer (issue 19)', () => {
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  let server: http.Server;
  let base: string;
  let mode: 'normal' | 'chunked' | 'wrong-range' | 'longer' | 'cut' | 'forbidden' | 'close-after' | 'whole' = 'normal';
  const connections = new Set<Socket>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (mode === 'forbidden' || !match) {
        const body = '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
        res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        return res.end(body);
      }
      if (mode === 'whole') {
        // Storage that ignores Range: the whole object, 200.
        res.writeHead(200, { 'content-length': blob.length });
        return res.end(blob);
      }
      const start = Number(match[1]);
      const end = Number(match[2]);
      const piece = blob.subarray(start, end + 1);
      const range = mode === 'wrong-range' ? `bytes ${start + 1}-${end + 1}/${blob.length}` : `bytes ${start}-${end}/${blob.length}`;
      if (mode === 'chunked') {
        res.writeHead(206, { 'content-range': range });
        return res.end(piece);
      }
      if (mode === 'cut') {
        res.writeHead(206, { 'content-range': range, 'content-length': piece.length });
        res.write(piece.subarray(0, piece.length >> 1));
        return setTimeout(() => res.destroy(), 20);
      }
      if (mode === 'longer') {
        // More bytes than the range (and its length header) in the one write of a small answer.
        res.socket!.end(Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\ncontent-range: ${range}\r\ncontent-length: ${piece.length}\r\n\r\n`), piece, Buffer.alloc(10)]));
        return;
      }
      res.writeHead(206, { 'content-range': range, 'content-length': piece.length, ...(mode === 'close-after' ? { connection: 'close' } : {}) });
      // Written in pieces, so the body arrives over several reads.
      for (let at = 0; at < piece.length; at += 100_000) res.write(piece.subarray(at, at + 100_000));
      res.end();
    });
    server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob?X-Amz-Signature=abc`;
  });

  afterEach(() => {
    mode = 'normal';
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fills exactly the range asked, reusing one kept-alive connection for the next ranges', async () => {
    const client = new DirectRangeClient();
    const into = Buffer.alloc(2 * 1024 * 1024);
    try {
      for (const [start, end] of [[0, 1_048_575], [1_048_576, 3_145_727], [3_145_728, blob.length - 1]]) {
        const answer = await client.get(base, start, end, blob.length, into);
        expect(answer).toEqual({ status: 206, length: end - start + 1 });
        expect(into.subarray(0, end - start + 1).equals(blob.subarray(start, end + 1))).toBe(true);
      }
      expect(connections.size).toBe(1);
    } finally {
      client.close();
    }
  });

  it('answers any other status (also a whole object sent for a range) with the start of its body, as getRangeInto does', async () => {
    const client = new DirectRangeClient();
    try {
      mode = 'forbidden';
      const answer = await client.get(base, 0, 99, blob.length, Buffer.alloc(100));
      expect(answer).toMatchObject({ status: 403, body: expect.stringContaining('Request has expired') });
      mode = 'whole';
      const whole = await client.get(base, 0, 99, blob.length, Buffer.alloc(100));
      expect(whole).toMatchObject({ status: 200 });
      expect((whole as { body: string }).body.length).toBeLessThanOrEqual(128 * 1024);
    } finally {
      client.close();
    }
  });

  it('leaves a chunked 206 to node:http (UNSUPPORTED), and refuses a wrong Content-Range, a longer body and a cut one', async () => {
    const client = new DirectRangeClient();
    const into = Buffer.alloc(1000);
    try {
      mode = 'chunked';
      await expect(client.get(base, 0, 999, blob.length, into)).resolves.toBe(UNSUPPORTED);
      mode = 'wrong-range';
      await expect(client.get(base, 0, 999, blob.length, into)).rejects.toMatchObject({ code: 'EBADRANGE' });
      mode = 'longer';
      await expect(client.get(base, 0, 999, blob.length, into)).rejects.toMatchObject({ code: 'ERANGE_OVERRUN' });
      mode = 'cut';
      const big = Buffer.alloc(1_000_000);
      await expect(client.get(base, 0, 999_999, blob.length, big)).rejects.toMatchObject({ code: expect.stringMatching(/^(ERR_STREAM_PREMATURE_CLOSE|ECONNRESET)$/) });
    } finally {
      client.close();
    }
  });

  it('opens a new connection after an answer that closes its own, and leaves HTTPS to node:https', async () => {
    const client = new DirectRangeClient();
    const into = Buffer.alloc(1000);
    try {
      mode = 'close-after';
      await expect(client.get(base, 0, 999, blob.length, into)).resolves.toEqual({ status: 206, length: 1000 });
      mode = 'normal';
      await expect(client.get(base, 1000, 1999, blob.length, into)).resolves.toEqual({ status: 206, length: 1000 });
      expect(into.equals(blob.subarray(1000, 2000))).toBe(true);
      await expect(client.get('https://127.0.0.1:1/blob', 0, 9, 10, into)).resolves.toBe(UNSUPPORTED);
    } finally {
      client.close();
    }
  });
});
