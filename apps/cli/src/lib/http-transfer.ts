import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeTo } from '@coffer/crypto';

export interface PutOptions {
  headers: Record<string, string>;
  contentLength: number;
  body: AsyncIterable<Uint8Array>;
  /** Called with the size of every chunk handed to the socket. */
  onBytes?: (bytes: number) => void;
  /** Aborting it destroys the request at once. */
  signal?: AbortSignal;
}

export interface SmallResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body (only its start, for error answers of storage). */
  body: string;
}

const MAX_ERROR_BODY = 64 * 1024;
/** Generous: the list of 10,000 files is about 3 MB of JSON. */
const MAX_API_BODY = 256 * 1024 * 1024;

/**
 * Streams `body` as a PUT with a fixed Content-Length through node:http(s) directly: backpressure
 * from the socket paces the encryption, and nothing is buffered beyond a few chunks. When the
 * server answers before the body is sent (a refusal), its answer wins over the broken pipe.
 */
export function putStream(url: string, options: PutOptions): Promise<SmallResponse> {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? https : http).request(target, {
    method: 'PUT',
    headers: { ...options.headers, 'content-length': String(options.contentLength) },
    signal: options.signal,
  });
  const response = new Promise<SmallResponse>((resolve, reject) => {
    request.once('response', (res) => void readSmall(res).then(resolve, reject));
    request.once('error', reject);
  });
  response.catch(() => undefined);
  const sent = pump(request, options);
  return sent.then(
    () => response,
    async (error: unknown) => {
      // A refusal (e.g. 403 for a wrong length) closes the connection early; report the answer.
      const answer = await Promise.race([response, new Promise<undefined>((r) => setTimeout(r, 1000, undefined))]).catch(() => undefined);
      if (answer) return answer;
      request.destroy();
      throw error;
    },
  );
}

/**
 * Writes every chunk of `body` to the request (≈1 MiB each from the encryptor: few, large writes),
 * waiting for 'drain' whenever the socket's buffer is full, then ends it. No stream adapter in
 * between: a chunk costs one write call and one check.
 */
async function pump(request: http.ClientRequest, { body, onBytes }: PutOptions): Promise<void> {
  // An encryptor's chunk goes back to it once the socket has written it: its memory is reused.
  await pipeTo(body, {
    async write(chunk, done) {
      const written = request.write(chunk, (error) => error || done());
      if (!written) await drained(request);
      onBytes?.(chunk.length);
    },
  });
  await new Promise<void>((resolve, reject) => {
    request.once('error', reject);
    request.end(() => {
      request.off('error', reject);
      resolve();
    });
  });
}

/** Resolves on 'drain'; rejects when the request fails or closes first. */
function drained(request: http.ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => finish(Object.assign(new Error('the connection closed during the upload'), { code: 'ECONNRESET' }));
    const finish = (error?: Error) => {
      request.off('drain', finish);
      request.off('error', finish);
      request.off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    if (request.destroyed) return closed();
    request.once('drain', finish);
    request.once('error', finish);
    request.once('close', closed);
  });
}

/**
 * A small request (JSON API call) through node:http(s). Not `fetch`: it refuses "bad ports" of the
 * browser fetch spec (6000, 10080, …) that a self-hosted server may well listen on.
 */
export function requestSmall(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<SmallResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: options.method,
      headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      timeout: options.timeoutMs,
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    request.once('error', reject);
    request.once('response', (res) => void readSmall(res, MAX_API_BODY).then(resolve, reject));
    request.end(body);
  });
}

export interface GetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body; must be consumed or destroyed. */
  stream: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: string;
}

/** A GET that follows up to `maxRedirects` redirects (the download link answers 303 to a signed URL). */
export async function getStream(url: string, maxRedirects = 5): Promise<GetResult> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await getOnce(current);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && hop < maxRedirects) {
      res.resume();
      current = new URL(location, current).toString();
      continue;
    }
    return { status, headers: res.headers, stream: res, url: current };
  }
}

function getOnce(url: string, method = 'GET'): Promise<IncomingMessage> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, { method, headers: { accept: '*/*' } }, resolve);
    request.once('error', reject);
    request.end();
  });
}

/** Status and headers of a HEAD request (no redirects followed). */
export async function headStatus(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const res = await getOnce(url, 'HEAD');
  res.resume();
  return { status: res.statusCode ?? 0, headers: res.headers };
}

/** Reads a response body as text, keeping at most `limit` bytes and discarding the rest. */
export async function readSmall(res: IncomingMessage, limit = MAX_ERROR_BODY): Promise<SmallResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    if (size < limit) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  }
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, limit).toString('utf8') };
}

export type RangeAnswer =
  | { status: 206; length: number }
  /** Anything but the asked range: the status, headers and the start of the body. */
  | ({ status: number } & SmallResponse);

/** A connection that stalls this long is given up (and the range asked again). */
const RANGE_IDLE_TIMEOUT_MS = 60_000;

/**
 * GETs bytes `start`–`end` (inclusive) of `url` straight into `into`: no copy beyond the socket's
 * own chunks, no buffer that grows. Only a `206` whose Content-Range is exactly the range asked
 * (of an object of `total` bytes) is taken; a body longer than the range is refused, a shorter one
 * rejects like a broken connection (ERR_STREAM_PREMATURE_CLOSE).
 */
export function getRangeInto(url: string, start: number, end: number, total: number, into: Buffer, agent?: http.Agent): Promise<RangeAnswer> {
  const target = new URL(url);
  const expected = `bytes ${start}-${end}/${total}`;
  const length = end - start + 1;
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'GET',
      headers: { accept: '*/*', range: `bytes=${start}-${end}` },
      agent,
      timeout: RANGE_IDLE_TIMEOUT_MS,
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('the download stalled'), { code: 'ETIMEDOUT' })));
    request.once('error', reject);
    request.once('response', (res) => {
      if (res.statusCode !== 206) {
        readSmall(res).then(resolve, reject);
        return;
      }
      if (res.headers['content-range'] !== expected) {
        res.destroy();
        reject(Object.assign(new Error(`storage answered the range ${String(res.headers['content-range'])}, not ${expected}`), { code: 'EBADRANGE' }));
        return;
      }
      let filled = 0;
      res.on('data', (chunk: Buffer) => {
        if (filled + chunk.length > length) {
          res.destroy();
          reject(Object.assign(new Error('storage sent more than the range asked'), { code: 'ERANGE_OVERRUN' }));
          return;
        }
        chunk.copy(into, filled);
        filled += chunk.length;
      });
      res.once('error', reject);
      res.once('end', () => {
        if (filled === length) resolve({ status: 206, length });
        else reject(Object.assign(new Error('the connection closed before the range was complete'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      });
      res.once('aborted', () => reject(Object.assign(new Error('the connection broke'), { code: 'ECONNRESET' })));
    });
    request.end();
  });
}
