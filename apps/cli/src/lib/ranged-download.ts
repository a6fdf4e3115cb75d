import http from 'node:http';
import https from 'node:https';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DecryptionError, FRAME_SIZE, frameCountOf, plaintextSizeOf, RangeDecryptor } from '@coffer/crypto';
import type { Context } from './context';
import { downloadFiles, forgetRecord, readRecord, removeQuietly, writeRecord, type DownloadRecord } from './download-record';
import { CliError } from './errors';
import { errorCodeOf, httpFailure, parseRetryAfter, retryHint, type ReceivedErrorBody } from './http-errors';
import { getRangeInto, requestSmall, type RangeAnswer, type SmallResponse } from './http-transfer';
import { DirectRangeClient, UNSUPPORTED } from './range-socket';
import { startProgress } from './progress';
import type { ShareLink } from './share-link';

/** 64 frames: 4 MiB a request, few requests, and memory of a few ranges per connection. */
export const DEFAULT_RANGE_FRAMES = 64;
export const DEFAULT_PARALLEL = 4;
const ATTEMPTS = 6;
const API_TIMEOUT_MS = 30_000;
/** A session this close to its end is not worth resuming with: a fresh URL would barely outlive the request. */
const SESSION_MARGIN_MS = 60_000;

export interface RangedPlan {
  link: ShareLink;
  dek: Buffer;
  /** The blob's nonce prefix, already checked against the key commitment. */
  prefix: Buffer;
  size: number;
  target: { dir: string; path: string };
  parallel: number;
  rangeFrames: number;
}

export interface RangedResult {
  /** The verified plaintext, to be renamed into place by the caller. */
  partial: string;
  sha256: string;
  plaintextSize: number;
  resumedBytes: number;
  /** Deletes the resume record once the file is in place. */
  forget(): Promise<void>;
}

/**
 * Downloads a strict blob in ranges of whole frames over `parallel` connections, decrypting and
 * verifying each range as it arrives and writing its plaintext at its place in a temporary file,
 * beside a resume record. A rerun verifies the ranges on disk against the record, then fetches the
 * rest through the same download session (counted once). Returns 'unsupported' when the server
 * has no download sessions (the caller then downloads in one piece).
 */
export async function rangedDownload(ctx: Context, plan: RangedPlan): Promise<RangedResult | 'unsupported'> {
  const layout = new RangeLayout(plan.size, plan.rangeFrames);
  const files = downloadFiles(plan.target.dir, plan.link.fileId, plan.target.path);
  const fresh: DownloadRecord = {
    version: 2, file_id: plan.link.fileId, target: plan.target.path, size: plan.size,
    nonce_prefix: plan.prefix.toString('hex'), range_frames: plan.rangeFrames, done: {},
  };
  const kept = await readRecord(files.record);
  const resuming = kept !== undefined && sameDownload(kept, fresh) && (await stat(files.partial).catch(() => undefined)) !== undefined;
  const record = resuming ? kept : fresh;
  if (!resuming) {
    await removeQuietly(files.partial);
    await removeQuietly(files.record);
  }
  const handle = await openPartial(files.partial, !resuming);
  // Two ciphertext buffers per connection: the next range downloads while the worker decrypts the last.
  const connections = Math.max(1, Math.min(plan.parallel, layout.count));
  let decryptor: RangeDecryptor | undefined;
  try {
    const session = new Session(ctx, plan.link, record, files.record);
    const url = await session.start();
    if (url === undefined) {
      await handle.close();
      await removeQuietly(files.partial);
      return 'unsupported';
    }
    decryptor = new RangeDecryptor({ key: plan.dek, prefix: plan.prefix, blobSize: plan.size, rangeFrames: plan.rangeFrames, fd: handle.fd, slots: 2 * connections });
    const resumedBytes = await verifyOnDisk(layout, record, decryptor);
    if (resumedBytes > 0) ctx.out.debug(`resuming: ${resumedBytes} bytes on disk verified`);
    const saver = new RecordSaver(files.record, record);
    await saver.save();
    const progress = startProgress(ctx, 'decrypting', plan.size);
    progress.advance(layout.cipherBytesOf(Object.keys(record.done).map(Number)));
    try {
      const pending = layout.indices().filter((index) => record.done[index] === undefined);
      const fetcher = new RangeFetcher(session, url, plan.size, plan.parallel);
      const ranges = decryptor;
      let failed = false;
      const connection = async (first: number) => {
        // What the worker last did with each of this connection's two slots, and the last record write.
        const using: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
        let saved: Promise<void> = Promise.resolve();
        let turn = 0;
        try {
          for (let index = pending.shift(); index !== undefined && !failed; index = pending.shift()) {
            turn ^= 1;
            const slot = first + turn;
            await using[turn];
            const [start, end] = layout.cipherRange(index);
            await fetcher.fetch(start, end, ranges.slot(slot));
            const range = index;
            const opened = ranges.open(range, slot, end - start + 1);
            // The record says a range is done only once its plaintext is written.
            saved = opened.then((proof) => {
              record.done[range] = proof;
              progress.advance(end - start + 1);
              return saver.save();
            });
            // Both are awaited, next round or below; a later record write covers an earlier one.
            saved.catch(() => undefined);
            opened.catch(() => undefined);
            using[turn] = opened;
          }
        } finally {
          await Promise.all([...using, saved]).catch((error: unknown) => {
            failed = true;
            throw error;
          });
        }
      };
      const runs = await Promise.allSettled(
        Array.from({ length: Math.max(1, Math.min(connections, pending.length)) }, (_, n) =>
          connection(2 * n).catch((error: unknown) => {
            failed = true;
            throw error;
          }),
        ),
      );
      fetcher.close();
      const failure = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected');
      // The first failure decides; a decryption failure anywhere wins over the broken connections it may have caused.
      const tamper = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected' && run.reason instanceof DecryptionError);
      if (failure) throw (tamper ?? failure).reason;
      const sha256 = await decryptor.sha256();
      await decryptor.close();
      await handle.sync();
      progress.stop();
      await handle.close();
      return { partial: files.partial, sha256, plaintextSize: layout.plaintextSize, resumedBytes, forget: () => forgetRecord(files.record) };
    } finally {
      progress.stop();
    }
  } catch (error) {
    // The worker is stopped before the file it writes is closed.
    await decryptor?.close().catch(() => undefined);
    await handle.close().catch(() => undefined);
    if (error instanceof DecryptionError) {
      // Verified bytes that do not verify: nothing worth keeping, a rerun starts over.
      await removeQuietly(files.partial);
      await forgetRecord(files.record);
    }
    throw error;
  }
}

/** Writes of the resume record, one at a time; a write asked for while one runs covers every change made until it starts. */
class RecordSaver {
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly record: DownloadRecord,
  ) {}

  save(): Promise<void> {
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.running = writeRecord(this.path, this.record);
        return this.running;
      });
    return this.queued;
  }
}

function sameDownload(a: DownloadRecord, b: DownloadRecord): boolean {
  return a.file_id === b.file_id && a.target === b.target && a.size === b.size && a.nonce_prefix === b.nonce_prefix && a.range_frames === b.range_frames;
}

async function openPartial(path: string, create: boolean): Promise<FileHandle> {
  try {
    return await open(path, create ? 'wx+' : 'r+', 0o600);
  } catch (error) {
    throw new CliError(`decryption failed: cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Choose another destination.');
  }
}

/** Where each range of whole frames lies in the blob and in the plaintext. */
class RangeLayout {
  readonly totalFrames: number;
  readonly plaintextSize: number;
  readonly count: number;

  constructor(
    private readonly size: number,
    private readonly frames: number,
  ) {
    this.totalFrames = frameCountOf(size);
    this.plaintextSize = plaintextSizeOf(size);
    this.count = Math.ceil(this.totalFrames / frames);
  }

  indices(): number[] {
    return Array.from({ length: this.count }, (_, index) => index);
  }

  /** Inclusive byte positions of range `index` in the blob. */
  cipherRange(index: number): [number, number] {
    const start = index * this.frames * FRAME_SIZE;
    return [start, Math.min(this.size, start + this.frames * FRAME_SIZE) - 1];
  }

  cipherBytesOf(indices: number[]): number {
    return indices.reduce((sum, index) => sum + this.cipherRange(index)[1] - this.cipherRange(index)[0] + 1, 0);
  }

}

/**
 * Checks each range the record calls done against the bytes on disk (the worker encrypts them
 * again and compares the proof: see RangeDecryptor); drops those that differ. Returns the blob
 * bytes kept.
 */
async function verifyOnDisk(layout: RangeLayout, record: DownloadRecord, decryptor: RangeDecryptor): Promise<number> {
  const done = layout.indices().filter((index) => record.done[index] !== undefined);
  // Asked all at once: the worker answers in order, without a round trip between ranges.
  const verified = await Promise.all(done.map((index) => decryptor.check(index, record.done[index])));
  let kept = 0;
  done.forEach((index, n) => {
    if (verified[n]) kept += layout.cipherBytesOf([index]);
    else delete record.done[index];
  });
  return kept;
}

/** The download session: counted once, then exchanged for fresh signed URLs as often as needed. */
class Session {
  constructor(
    private readonly ctx: Context,
    private readonly link: ShareLink,
    private readonly record: DownloadRecord,
    private readonly recordPath: string,
  ) {}

  /** A signed URL of the blob, from the recorded session when it still lives, else from a new (counted) one. */
  async start(): Promise<string | undefined> {
    const kept = this.record.session;
    if (kept && Date.parse(kept.expires_at) - Date.now() > SESSION_MARGIN_MS) {
      const answer = await this.post(`${this.link.downloadUrl}/session/url`, { session: kept.token });
      if (answer.status === 200) return (JSON.parse(answer.body) as { url: string }).url;
      if (answer.status !== 404) throw this.failure(answer);
    }
    if (kept) this.ctx.out.warn('the earlier download session of this file has ended: continuing counts one more download');
    const answer = await this.post(`${this.link.downloadUrl}/session`);
    if (answer.status === 201) {
      const body = JSON.parse(answer.body) as { session: string; expires_at: string; url: string };
      this.record.session = { token: body.session, expires_at: body.expires_at };
      // Kept before anything else happens: a crash from here on resumes without counting again.
      await writeRecord(this.recordPath, this.record);
      return body.url;
    }
    // A server without sessions (the stock Hashdrop server, older Coffer servers).
    if (!kept && (answer.status === 404 || answer.status === 405)) return undefined;
    throw this.failure(answer);
  }

  /** A fresh URL once the one in use expired. */
  async freshUrl(): Promise<string> {
    const token = this.record.session?.token;
    const answer = token ? await this.post(`${this.link.downloadUrl}/session/url`, { session: token }) : undefined;
    if (answer?.status === 200) return (JSON.parse(answer.body) as { url: string }).url;
    if (answer?.status === 404) {
      throw new CliError('download failed: the download session ended (or the file was deleted)', 'Run the same command again: it keeps what is verified on disk and starts a new (counted) download for the rest.');
    }
    throw this.failure(answer ?? { status: 0, headers: {}, body: '' });
  }

  private post(url: string, body?: object): Promise<SmallResponse> {
    return requestSmall(url, {
      method: 'POST',
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      timeoutMs: API_TIMEOUT_MS,
    });
  }

  private failure(answer: SmallResponse): CliError {
    const body = parseBody(answer.body);
    const header: unknown = answer.headers['retry-after'];
    const retryAfter = typeof header === 'string' ? header : undefined;
    if (errorCodeOf(body) === 'DOWNLOAD_LIMIT') {
      const now = Date.now();
      return new CliError('download failed: the daily download limit of this file is reached', retryHint(parseRetryAfter(retryAfter, now), now));
    }
    return httpFailure({ status: answer.status, body, retryAfter: retryAfter ?? null }, { what: 'download', server: this.link.base, nowMs: Date.now() });
  }
}

function parseBody(text: string): ReceivedErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Ranged GETs over kept-alive connections, with one URL refresh at a time and retries of broken connections. */
class RangeFetcher {
  private generation = 0;
  private refreshing: Promise<void> | undefined;
  private readonly agent: http.Agent;
  private readonly direct = new DirectRangeClient();
  private useDirect = true;

  constructor(
    private readonly session: Session,
    private url: string,
    private readonly size: number,
    parallel: number,
  ) {
    this.agent = new (url.startsWith('https:') ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: parallel });
  }

  async fetch(start: number, end: number, into: Buffer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const generation = this.generation;
      let answer;
      try {
        answer = await this.get(start, end, into);
      } catch (error) {
        if (attempt >= ATTEMPTS || !retryable(error)) throw error;
        await sleep(250 * 2 ** attempt);
        continue;
      }
      if (answer.status === 206) return;
      // A signed URL that expired: storage answers 403 (S3 and the fs driver alike).
      if (answer.status === 403 && attempt < ATTEMPTS) {
        await this.refresh(generation);
        continue;
      }
      if (answer.status === 404) throw new CliError('download failed: there is no file behind this link any more', 'It may have been deleted.');
      if (answer.status === 416) throw new CliError('download failed: the stored file is shorter than its recorded size', 'The stored file is damaged; ask the sender to upload it again.');
      if (answer.status >= 500 && attempt < ATTEMPTS) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      throw new CliError(`download failed: storage answered ${answer.status} to a range request`, 'Run the same command again to resume.');
    }
  }

  close(): void {
    this.direct.close();
    this.agent.destroy();
  }

  /** Plain-HTTP storage is read straight into `into`; HTTPS, and answers that client does not read, through node:http(s). */
  private async get(start: number, end: number, into: Buffer): Promise<RangeAnswer> {
    if (this.useDirect) {
      const answer = await this.direct.get(this.url, start, end, this.size, into);
      if (answer !== UNSUPPORTED) return answer;
      this.useDirect = false;
    }
    return getRangeInto(this.url, start, end, this.size, into, this.agent);
  }

  private async refresh(generation: number): Promise<void> {
    if (generation !== this.generation) return;
    this.refreshing ??= this.session
      .freshUrl()
      .then((url) => {
        this.url = url;
        this.generation++;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    await this.refreshing;
  }
}

function retryable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'].includes(code);
}
