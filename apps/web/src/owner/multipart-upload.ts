import { createSHA256 } from 'hash-wasm';
import type { Bytes } from '../crypto/bytes';
import { blobParts, encryptPart, type BlobPart } from '../crypto/encrypt-part';
import { abortReason, api, ApiError, putBlob, type PresignedPut } from './api';

/** The `multipart` answer of presign (docs/API.md route 12). */
export interface MultipartPlan {
  part_size: number;
  part_count: number;
  last_part_size: number;
  expires_at: string;
}

interface PartUrl extends PresignedPut {
  part_number: number;
  size: number;
  expires_at: string;
}

export interface SentParts {
  /** SHA-256 of the whole plaintext, lowercase hex. */
  sha256: string;
  /** Every part with its etag, ascending: the `parts` of complete. */
  parts: Array<{ part_number: number; etag: string }>;
}

/** Attempts per part (network errors, 5xx, an expired URL); then the upload fails. */
const ATTEMPTS = 4;
const BACKOFF_MS = [500, 2_000, 5_000];
/** A URL this close to its expiry is not used: a part at a slow link takes a while. */
const URL_MARGIN_MS = 60_000;
/** Most part URLs one `POST /api/files/parts` hands out. */
const URL_PAGE = 100;

/**
 * Sends the parts of a multipart upload the server planned (docs/API.md, "Multipart uploads"), as
 * the CLI does (apps/cli/src/lib/part-sender.ts): each part read from the File with `slice` and
 * encrypted on its own (nonce counters are frame indexes, so parts need no order), `parallel`
 * PUTs in flight and one more part encrypted ahead of them. Memory stays at a few parts whatever
 * the file's size. The SHA-256 of the whole file is taken on the way, part after part in order.
 * Aborting `signal` cuts every PUT; the caller then discards the upload on the server.
 */
export async function sendParts(setup: {
  file: Blob;
  fileId: string;
  plan: MultipartPlan;
  dek: Bytes;
  noncePrefix: Bytes;
  parallel: number;
  signal: AbortSignal;
  /** Encrypted bytes moved since the last call (negative when a failed PUT is taken back). */
  onSent: (delta: number) => void;
}): Promise<SentParts> {
  const { file, fileId, plan, dek, noncePrefix, signal, onSent } = setup;
  const parts = blobParts(file.size, plan.part_size);
  if (parts.length !== plan.part_count || parts.at(-1)?.encryptedSize !== plan.last_part_size) {
    throw new Error(`The server planned ${plan.part_count} parts of ${plan.part_size} bytes for a file that needs ${parts.length}; reload the page.`);
  }
  const key = await crypto.subtle.importKey('raw', dek, 'AES-GCM', false, ['encrypt']);
  const sha = await createSHA256();
  sha.init();
  const urls = new PartUrls(fileId, parts);
  const etags = new Map<number, string | null>();
  const uploads = new Slots(Math.max(1, setup.parallel));

  // Parts are taken in order, so chaining each one's hash onto the previous one's hashes the file in order.
  let hashTail: Promise<void> = Promise.resolve();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);

  const worker = async () => {
    for (let part = parts[next++]; part && !failure; part = parts[next++]) {
      let feed!: (plaintext: Bytes) => void;
      let fail!: (error: unknown) => void;
      const plaintext = new Promise<Bytes>((resolve, reject) => ((feed = resolve), (fail = reject)));
      const hashed = (hashTail = hashTail.then(() => plaintext).then((bytes) => void sha.update(bytes)));
      try {
        try {
          feed(new Uint8Array(await file.slice(part.offset, part.offset + part.size).arrayBuffer()));
        } catch (error) {
          fail(error);
          throw new Error(`The file could not be read (${(error as Error).message}); was it changed or removed?`, { cause: error });
        }
        const [body] = await Promise.all([plaintext.then((bytes) => encryptPart(bytes, key, { noncePrefix, firstFrame: part.firstFrame, isLast: part.isLast })), hashed]);
        if (body.length !== part.encryptedSize) throw new Error('The file changed while it was read; upload it again.');
        await uploads.take(stopped);
        try {
          etags.set(part.partNumber, await sendPart(part, body, urls, stopped, onSent));
        } finally {
          uploads.give();
        }
      } catch (error) {
        failure ??= { error: signal.aborted ? abortReason(signal) : error };
        stop.abort(failure.error);
        // The hash chain must not wait for a part nobody will read.
        fail(error);
      }
    }
  };
  await Promise.allSettled(Array.from({ length: Math.min(parts.length, Math.max(1, setup.parallel) + 1) }, worker));
  await hashTail.catch(() => undefined);
  if (failure) throw failure.error;
  if (signal.aborted) throw abortReason(signal);
  return { sha256: sha.digest('hex'), parts: await etagsOf(fileId, parts, etags) };
}

/**
 * One part's PUT, retried with backoff on network errors, 5xx and expired URLs; answers its etag
 * (or null). The body goes as a Blob: Chromium sends an ArrayBuffer body of an XHR or fetch ten
 * times slower than the same bytes in a Blob (measured: 32 MiB in 18–25 s against 1.2–2.7 s).
 */
async function sendPart(part: BlobPart, body: Bytes, urls: PartUrls, signal: AbortSignal, onSent: (delta: number) => void): Promise<string | null> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(BACKOFF_MS[attempt - 1] ?? 5_000, signal);
    if (signal.aborted) throw abortReason(signal);
    const url = await urls.get(part.partNumber);
    let sent = 0;
    try {
      return await putBlob(url, new Blob([body]), (loaded) => {
        onSent(loaded - sent);
        sent = loaded;
      }, signal);
    } catch (error) {
      onSent(-sent);
      if (signal.aborted) throw abortReason(signal);
      lastError = error;
      const status = error instanceof ApiError ? error.status : 0;
      // An expired URL (403): ask for a fresh one. Other refusals will not change on a retry.
      if (status === 403) urls.forget(part.partNumber);
      else if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw error;
    }
  }
  throw lastError;
}

/**
 * Etags of the parts as their PUTs answered them. Storage whose CORS rules do not expose `ETag`
 * to the page answers none: those come from the server's listing of what storage holds
 * (`GET /api/files/parts`), each checked to have the part's size.
 */
async function etagsOf(fileId: string, parts: BlobPart[], etags: Map<number, string | null>): Promise<SentParts['parts']> {
  let listed: Map<number, { size: number; etag: string }> | undefined;
  if (parts.some((p) => !etags.get(p.partNumber))) {
    const stored = await api<{ parts: Array<{ part_number: number; size: number; etag: string }> }>('GET', `/api/files/parts?id=${fileId}`);
    listed = new Map(stored.parts.map((p) => [p.part_number, p]));
  }
  return parts.map((p) => {
    const etag = etags.get(p.partNumber) || (listed?.get(p.partNumber)?.size === p.encryptedSize ? listed.get(p.partNumber)?.etag : undefined);
    if (!etag) throw new Error(`Storage does not hold part ${p.partNumber} as it was sent; upload the file again.`);
    return { part_number: p.partNumber, etag };
  });
}

/** Presigned part URLs, fetched in pages ahead of need and again when they near their expiry. */
class PartUrls {
  private readonly urls = new Map<number, PartUrl>();
  private fetching: Promise<void> | undefined;

  constructor(private readonly fileId: string, private readonly parts: BlobPart[]) {}

  async get(partNumber: number): Promise<PartUrl> {
    for (let round = 0; ; round++) {
      const cached = this.urls.get(partNumber);
      // A URL that came back already near its end is used anyway rather than asked for forever.
      if (cached && (round > 1 || Date.parse(cached.expires_at) - Date.now() > URL_MARGIN_MS)) return cached;
      this.fetching ??= this.fetchFrom(partNumber).finally(() => (this.fetching = undefined));
      await this.fetching;
    }
  }

  forget(partNumber: number): void {
    this.urls.delete(partNumber);
  }

  private async fetchFrom(partNumber: number): Promise<void> {
    const wanted = [partNumber, ...this.parts.map((p) => p.partNumber).filter((n) => n > partNumber && !this.urls.has(n))].slice(0, URL_PAGE);
    const answer = await api<{ parts: PartUrl[] }>('POST', '/api/files/parts', { file_id: this.fileId, part_numbers: wanted });
    for (const url of answer.parts) this.urls.set(url.part_number, url);
  }
}

/** A counting semaphore: at most `count` holders at once. */
class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async take(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortReason(signal);
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(abortReason(signal));
      };
      const granted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.push(granted);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  give(): void {
    const nextInLine = this.waiting.shift();
    if (nextInLine) nextInLine();
    else this.free++;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
