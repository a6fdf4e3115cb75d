import { setTimeout as sleep } from 'node:timers/promises';
import type { PartUrl } from '@coffer/contract';
import { encryptPart, FileChangedError, type BlobPart } from '@coffer/crypto';
import { CliError } from './errors';
import { networkFailure } from './http-errors';
import { putStream } from './http-transfer';
import type { MultipartApi } from './multipart-api';
import type { Progress } from './progress';
import type { RecordWriter } from './resume-record';
import { SourceChanged, type SourceHasher } from './source-hasher';

/** Attempts per part in one run (network errors, 5xx, expired URLs); then the run stops, resumable. */
const ATTEMPTS = 4;
const BACKOFF_MS = [500, 2_000, 5_000];
/** A URL about to expire is not used: a part of 8 MiB at a slow link takes a while. */
const URL_MARGIN_MS = 120_000;
const URL_PAGE = 100;
/** A part PUT that moves no byte for this long (a dead link, a stalled peer) is cut and retried. */
const STALL_MS = 60_000;

export interface PartSenderSetup {
  fd: number;
  dek: Buffer;
  noncePrefix: Buffer;
  writer: RecordWriter;
  hasher: SourceHasher;
  api: MultipartApi;
  progress: Progress;
  parallel: number;
  signal: AbortSignal;
  what: string;
}

/**
 * Sends parts `parallel` at a time, each encrypted on its own straight from the file into its
 * presigned PUT (memory per part: a few MiB, whatever the part size). A part is taken only once
 * the source hasher has bound its hash; its own pass must hash the same, or the source changed.
 */
export class PartSender {
  private readonly urls = new Map<number, PartUrl>();
  private fetching: Promise<void> | undefined;
  private queue: BlobPart[] = [];

  constructor(private readonly setup: PartSenderSetup) {}

  /** Sends every part of `parts`; on the first failure stops the others and throws it. */
  async sendAll(parts: BlobPart[]): Promise<void> {
    this.queue = [...parts];
    let failure: { error: unknown } | undefined;
    const stopOthers = new AbortController();
    const worker = async () => {
      for (let part = this.queue.shift(); part && !failure; part = this.queue.shift()) {
        try {
          await this.setup.hasher.hashed(part.partNumber);
          this.setup.hasher.claimed();
          await this.send(part, stopOthers.signal);
        } catch (error) {
          failure ??= { error };
          stopOthers.abort(error);
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(this.setup.parallel, parts.length)) }, worker));
    for (const result of results) if (result.status === 'rejected') failure ??= { error: result.reason };
    if (failure) throw failure.error;
  }

  private async send(part: BlobPart, stopOthers: AbortSignal): Promise<void> {
    const { fd, dek, noncePrefix, writer, progress, what } = this.setup;
    const signal = AbortSignal.any([this.setup.signal, stopOthers]);
    const bound = writer.record.parts[part.partNumber]?.sha256;
    if (bound === undefined) throw new Error(`part ${part.partNumber} was not bound to a hash`);
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(BACKOFF_MS[attempt - 1] ?? 5_000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw signal.reason;
      const url = await this.urlFor(part.partNumber);
      const blob = encryptPart({ fd, offset: part.offset, size: part.size }, dek, { noncePrefix, firstFrame: part.firstFrame, isLast: part.isLast });
      let sent = 0;
      const stall = new StallWatch(STALL_MS);
      try {
        const answer = await putStream(url.url, {
          headers: { ...lower(url.headers), 'content-type': 'application/octet-stream' },
          contentLength: part.encryptedSize,
          body: blob,
          onBytes: (n) => {
            sent += n;
            stall.moved();
            progress.advance(n);
          },
          signal: AbortSignal.any([signal, stall.signal]),
        });
        if (answer.status >= 200 && answer.status <= 299) {
          const etag = answer.headers.etag;
          if (typeof etag !== 'string' || etag === '') throw new CliError(`${what} failed: storage answered no ETag for part ${part.partNumber}`, 'The storage behind this server does not support multipart uploads properly.');
          const { sha256 } = await blob.result;
          // The bytes sent are not the ones bound: the file changed between the two reads.
          if (sha256 !== bound) throw new SourceChanged(`part ${part.partNumber} of the file changed while it was read`, false);
          await writer.update((record) => {
            record.parts[part.partNumber] = { sha256, etag };
          });
          return;
        }
        progress.advance(-sent);
        if (answer.status === 403) this.urls.delete(part.partNumber);
        lastError = new CliError(`${what} failed: storage answered HTTP ${answer.status} for part ${part.partNumber}`, 'Run the same command again to continue.', undefined, { cause: answer.body });
        if (answer.status >= 400 && answer.status < 500 && ![403, 408, 429].includes(answer.status)) throw lastError;
      } catch (error) {
        if (error !== lastError) progress.advance(-sent);
        if (error instanceof FileChangedError) throw new SourceChanged('the file is shorter than when the upload started', false);
        // Stopped from outside: the reason (a changed source, another part's failure, Ctrl-C) is the error.
        if (signal.aborted) throw signal.reason;
        if (error instanceof SourceChanged || error instanceof CliError) throw error;
        lastError = stall.signal.aborted
          ? new CliError(`${what} failed: part ${part.partNumber} moved no byte for ${STALL_MS / 1000} s`, 'Check your network, then run the same command again to continue.')
          : (networkFailure(error, url.url, what, 'Check your network, then run the same command again to continue.') ?? error);
      } finally {
        stall.stop();
      }
    }
    throw lastError;
  }

  /** A URL for part `partNumber` valid for a while yet; fetched with the next parts in pages. */
  private async urlFor(partNumber: number): Promise<PartUrl> {
    for (;;) {
      const cached = this.urls.get(partNumber);
      if (cached && Date.parse(cached.expires_at) - Date.now() > URL_MARGIN_MS) return cached;
      if (!this.fetching) {
        const wanted = [partNumber, ...this.queue.map((p) => p.partNumber).filter((n) => !this.urls.has(n))].slice(0, URL_PAGE);
        this.fetching = this.setup.api
          .partUrls(this.setup.writer.record.file_id, wanted, this.setup.what)
          .then((urls) => {
            for (const url of urls) this.urls.set(url.part_number, url);
            // A URL that came back already near its end is used anyway rather than asked for forever.
            const fresh = this.urls.get(partNumber);
            if (fresh && Date.parse(fresh.expires_at) - Date.now() <= URL_MARGIN_MS) fresh.expires_at = new Date(Date.now() + URL_MARGIN_MS + 1000).toISOString();
          })
          .finally(() => (this.fetching = undefined));
      }
      await this.fetching;
    }
  }
}

/** Aborts its signal once `moved` has not been called for `ms`. */
class StallWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  moved(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.controller.abort(new Error('stalled')), this.ms);
    // Never what keeps the process alive.
    timer.unref();
    return timer;
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
