import net from 'node:net';
import type { RangeAnswer } from './http-transfer';

/** A response head larger than this is refused (storage sends well under 2 KiB). */
const HEAD_LIMIT = 16 * 1024;
/** What is kept of an error answer's body. */
const MAX_ERROR_BODY = 64 * 1024;
/** A connection that stalls this long is given up (and the range asked again). */
const IDLE_TIMEOUT_MS = 60_000;

/** The answer was not one this client reads (e.g. a chunked 206): the caller asks through node:http instead. */
export const UNSUPPORTED = 'unsupported';

type Outcome = RangeAnswer | typeof UNSUPPORTED;

interface Job {
  into: Buffer;
  length: number;
  expected: string;
  resolve: (outcome: Outcome) => void;
  reject: (error: Error) => void;
  /** Nothing of the answer arrived yet (a kept-alive connection the server closed meanwhile). */
  untouched: boolean;
}

/**
 * Ranged GETs of plain-HTTP URLs whose socket reads land straight in the caller's buffer (`onread`
 * of net.Socket): no HTTP parser stream and no copy of the body, and reads as large as the kernel
 * has ready, where node:http hands over ≤ 64 KiB chunks that are each pushed through a stream and
 * copied. Only the plain case is read here: a `206` with a Content-Length and exactly the
 * Content-Range asked (anything else that is a 206, such as a chunked body, answers UNSUPPORTED;
 * other statuses are answered with the start of their body, as `getRangeInto` does). Connections
 * are kept alive between ranges, one range at a time each.
 */
export class DirectRangeClient {
  private readonly idle = new Map<string, RangeConnection[]>();
  private readonly open = new Set<RangeConnection>();
  private closed = false;

  async get(url: string, start: number, end: number, total: number, into: Buffer): Promise<Outcome> {
    const target = new URL(url);
    if (target.protocol !== 'http:') return UNSUPPORTED;
    const key = target.host;
    for (;;) {
      const kept = this.idle.get(key)?.pop();
      const connection = kept ?? this.connect(target);
      try {
        const outcome = await connection.request(target, start, end, total, into);
        if (outcome !== UNSUPPORTED && outcome.status === 206 && connection.reusable && !this.closed) {
          const list = this.idle.get(key) ?? [];
          list.push(connection);
          this.idle.set(key, list);
        } else {
          connection.destroy();
        }
        return outcome;
      } catch (error) {
        connection.destroy();
        // A kept-alive connection the server had closed: asked again at once on a fresh one.
        if (kept && (error as { untouched?: boolean }).untouched) continue;
        throw error;
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const connection of this.open) connection.destroy();
    this.idle.clear();
  }

  private connect(target: URL): RangeConnection {
    const connection = new RangeConnection(target, () => {
      this.open.delete(connection);
      const list = this.idle.get(target.host);
      if (list?.includes(connection)) list.splice(list.indexOf(connection), 1);
    });
    this.open.add(connection);
    return connection;
  }
}

/** One connection: a response head is read into `head`, then the body straight into the job's buffer. */
class RangeConnection {
  private readonly socket: net.Socket;
  private readonly head = Buffer.allocUnsafe(HEAD_LIMIT);
  private headUsed = 0;
  private job: Job | undefined;
  /** Where the next read goes: the head buffer, or the rest of the job's range. */
  private body: { filled: number } | undefined;
  private errorAnswer: { status: number; headers: Record<string, string>; chunks: Buffer[]; kept: number; remaining: number | undefined } | undefined;
  reusable = true;

  constructor(target: URL, onClose: () => void) {
    this.socket = net.connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
      onread: {
        buffer: () => this.nextBuffer(),
        callback: (bytes: number) => {
          this.received(bytes);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.socket.destroy(Object.assign(new Error('the download stalled'), { code: 'ETIMEDOUT' })));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => this.fail(Object.assign(new Error('the connection closed before the range was complete'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })));
    this.socket.on('close', () => {
      this.reusable = false;
      this.fail(Object.assign(new Error('the connection broke'), { code: 'ECONNRESET' }));
      onClose();
    });
  }

  request(target: URL, start: number, end: number, total: number, into: Buffer): Promise<Outcome> {
    if (this.job || !this.reusable) return Promise.reject(new Error('internal: connection busy or closed'));
    return new Promise<Outcome>((resolve, reject) => {
      this.job = { into, length: end - start + 1, expected: `bytes ${start}-${end}/${total}`, resolve, reject, untouched: true };
      this.headUsed = 0;
      this.body = undefined;
      this.errorAnswer = undefined;
      this.socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: */*\r\nRange: bytes=${start}-${end}\r\nConnection: keep-alive\r\n\r\n`,
        'latin1',
      );
    });
  }

  destroy(): void {
    this.reusable = false;
    this.socket.destroy();
  }

  private nextBuffer(): Buffer {
    const job = this.job;
    if (job && this.body) return job.into.subarray(this.body.filled, job.length);
    return this.head.subarray(this.headUsed);
  }

  private received(bytes: number): void {
    const job = this.job;
    if (!job) {
      // Bytes nobody asked for: the connection is out of step.
      this.destroy();
      return;
    }
    job.untouched = false;
    if (this.body) {
      this.body.filled += bytes;
      if (this.body.filled === job.length) this.finish({ status: 206, length: job.length });
      return;
    }
    this.headUsed += bytes;
    if (this.errorAnswer) return this.errorBody(this.head.subarray(0, this.headUsed));
    const end = this.head.subarray(0, this.headUsed).indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (this.headUsed === this.head.length) this.fail(Object.assign(new Error('storage sent a response head larger than 16 KiB'), { code: 'EBADRESPONSE' }), true);
      return;
    }
    const parsed = parseHead(this.head.toString('latin1', 0, end));
    if (!parsed) return this.fail(Object.assign(new Error('storage sent a response that is not HTTP/1.x'), { code: 'EBADRESPONSE' }), true);
    const { status, headers, keepAlive } = parsed;
    this.reusable = keepAlive;
    const rest = this.head.subarray(end + 4, this.headUsed);
    if (status !== 206) {
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      // Read to its end only when its length is known (else until the server closes): then the connection is not reused.
      this.reusable = false;
      this.errorAnswer = { status, headers, chunks: [], kept: 0, remaining: Number.isSafeInteger(length) ? length : undefined };
      this.headUsed = 0;
      return this.errorBody(rest);
    }
    if (headers['transfer-encoding'] !== undefined || headers['content-length'] !== String(job.length)) return this.finish(UNSUPPORTED);
    if (headers['content-range'] !== job.expected) {
      return this.fail(Object.assign(new Error(`storage answered the range ${String(headers['content-range'])}, not ${job.expected}`), { code: 'EBADRANGE' }), true);
    }
    if (rest.length > job.length) return this.fail(Object.assign(new Error('storage sent more than the range asked'), { code: 'ERANGE_OVERRUN' }), true);
    rest.copy(job.into, 0);
    this.body = { filled: rest.length };
    if (rest.length === job.length) this.finish({ status: 206, length: job.length });
  }

  private errorBody(bytes: Buffer): void {
    const answer = this.errorAnswer!;
    if (answer.kept < MAX_ERROR_BODY && bytes.length > 0) {
      const piece = Buffer.from(bytes.subarray(0, MAX_ERROR_BODY - answer.kept));
      answer.chunks.push(piece);
      answer.kept += piece.length;
    }
    if (answer.remaining !== undefined) answer.remaining -= bytes.length;
    this.headUsed = 0;
    // Enough to tell what went wrong (the connection is not reused): a whole object answered to a range is not read to its end.
    if ((answer.remaining !== undefined && answer.remaining <= 0) || answer.kept >= MAX_ERROR_BODY) this.finishError();
  }

  private finishError(): void {
    const answer = this.errorAnswer;
    if (!answer) return;
    this.errorAnswer = undefined;
    this.finish({ status: answer.status, headers: answer.headers, body: Buffer.concat(answer.chunks).toString('utf8') });
  }

  private finish(outcome: Outcome): void {
    const job = this.job;
    this.job = undefined;
    this.body = undefined;
    this.headUsed = 0;
    job?.resolve(outcome);
  }

  private fail(error: Error, protocol = false): void {
    // An error answer read until the server closes is complete when it closes.
    if (this.errorAnswer && this.errorAnswer.remaining === undefined && !protocol) return this.finishError();
    const job = this.job;
    this.job = undefined;
    this.reusable = false;
    if (protocol) this.socket.destroy();
    if (job) job.reject(Object.assign(error, { untouched: job.untouched }));
  }
}

function parseHead(text: string): { status: number; headers: Record<string, string>; keepAlive: boolean } | undefined {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
  if (!statusLine) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  return { status: Number(statusLine[2]), headers, keepAlive };
}
