import { createSHA256 } from 'hash-wasm';
import type { Bytes } from './bytes';
import {
  CHUNK_SIZE,
  counterOf,
  flagOf,
  HEADER_SIZE,
  isKnownFlag,
  KEY_SIZE,
  LAST_FRAME_FLAG,
  MAX_BODY_SIZE,
  MIN_BODY_SIZE,
  NONCE_PREFIX_SIZE,
  NONCE_SIZE,
} from './blob-format';
import { verifyKeyCommitment } from './commitment';
import { fail } from './decryption-error';

/** WebCrypto's key type, spelled so the Node-typed test program (no DOM lib) reads these files too. */
type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface DecryptOptions {
  /** Expected key commitment (base64): checked against the blob's first nonce prefix before any plaintext. */
  commitment?: string;
  /** Expected plaintext SHA-256 (lowercase hex): checked before the final plaintext is released. */
  sha256?: string;
  /**
   * Frames whose decryption may be in flight at once (default 64, i.e. 4 MiB). Every
   * crypto.subtle.decrypt is a round trip to another thread: one at a time leaves both threads
   * idle most of the time, so `push` starts each frame's decryption as soon as the frame is whole
   * and waits only for the oldest ones beyond this window.
   */
  window?: number;
  /** Where the plaintext's SHA-256 is computed (default: hash-wasm on this thread). */
  hash?: StreamingHash;
}

/** An incremental SHA-256 fed in plaintext order; the recipient page runs one in a worker. */
export interface StreamingHash {
  /** `bytes` stays the caller's: an implementation that keeps it past the call copies it. A promise: wait before the next update. */
  update(bytes: Bytes): void | Promise<void>;
  /** Lowercase hex of everything updated so far. */
  digest(): Promise<string>;
  /** Frees what it holds (a worker) without a digest. */
  dispose?(): void;
}

export interface DecryptResult {
  sha256: string;
  plaintextSize: number;
  /** No structured nonces (a stock Hashdrop writer): frames verified, order and completeness unproven. */
  legacy: boolean;
}

const EMPTY: Bytes = new Uint8Array(0);
const DEFAULT_WINDOW = 64;

interface Frame {
  nonce: Bytes;
  body: Bytes;
}

/** A frame whose decryption was started: its structure already checked, its tag not yet. */
interface InFlight {
  plaintext: Promise<ArrayBuffer>;
  last: boolean;
}

/** hash-wasm's SHA-256 on the calling thread. */
export async function inlineSha256(): Promise<StreamingHash> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => void hasher.update(bytes),
    digest: async () => hasher.digest('hex'),
  };
}

/**
 * Streaming decryption of a blob (docs/FORMAT.md, "Decryption rules"), fed with the download's
 * chunks as they come: `push` answers the plaintext that verified so far, `finish` the rest once
 * the input ended. The last plaintext is always held back until the next frame verified or the end
 * checks passed (final flag, nothing after it, SHA-256), so the caller never writes the end of a
 * file whose end is wrong. Any failure is one DecryptionError; the caller then discards everything.
 * Decryptions overlap (see `window`), but plaintext is verified, hashed and released in frame order.
 */
export class BlobDecryptor {
  /** Input not yet cut into frames: queue[head..] (an index, not shift(): chunks may be single bytes). */
  private readonly queue: Bytes[] = [];
  private head = 0;
  private queuedBytes = 0;
  private prefix?: Bytes;
  private legacy = false;
  private counter = 0;
  private finalSeen = false;
  private held?: Bytes;
  private plaintextSize = 0;
  private failed = false;
  /** Decryptions started and not yet consumed, oldest first: inFlight[inFlightHead..]. */
  private inFlight: InFlight[] = [];
  private inFlightHead = 0;

  private constructor(
    private readonly key: AesKey,
    private readonly rawKey: Bytes,
    private readonly hasher: StreamingHash,
    private readonly options: DecryptOptions,
    private readonly window: number,
  ) {}

  static async create(rawKey: Bytes, options: DecryptOptions = {}): Promise<BlobDecryptor> {
    if (rawKey.length !== KEY_SIZE) fail();
    const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['decrypt']);
    const hasher = options.hash ?? (await inlineSha256());
    return new BlobDecryptor(key, rawKey, hasher, options, Math.max(1, options.window ?? DEFAULT_WINDOW));
  }

  /**
   * Plaintext that verified and may be written (possibly none yet). `owned`: the caller hands the
   * chunk over and will not change its memory (a fetch body's chunk), so it is not copied.
   */
  async push(chunk: Uint8Array, owned = false): Promise<Bytes[]> {
    return this.guarded(async () => {
      if (chunk.length === 0) return [];
      if (this.finalSeen) fail(); // any byte after the final frame
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.queue.push(owned && chunk.buffer instanceof ArrayBuffer ? (chunk as Bytes) : new Uint8Array(chunk));
      this.queuedBytes += chunk.length;
      await this.startFrames(this.takeFrames());
      return this.drain(this.window);
    });
  }

  /** The input ended: the last plaintext, after the end checks. */
  async finish(): Promise<{ plaintext: Bytes[]; result: DecryptResult }> {
    return this.guarded(async () => {
      if (this.queuedBytes > 0 || this.prefix === undefined) fail(); // a frame cut short, or no frame at all
      if (!this.legacy && !this.finalSeen) fail(); // truncated before the final frame
      const out = await this.drain(0);
      const sha256 = await this.hasher.digest();
      if (this.options.sha256 !== undefined && this.options.sha256.toLowerCase() !== sha256) fail();
      if (this.held && this.held.length > 0) out.push(this.held);
      this.held = undefined;
      return { plaintext: out, result: { sha256, plaintextSize: this.plaintextSize, legacy: this.legacy } };
    });
  }

  private async guarded<T>(step: () => Promise<T>): Promise<T> {
    if (this.failed) fail();
    try {
      return await step();
    } catch (error) {
      this.failed = true;
      this.held = undefined;
      // Decryptions still running fail or finish unobserved; their results are dropped.
      this.inFlight = [];
      this.inFlightHead = 0;
      this.hasher.dispose?.();
      throw error;
    }
  }

  /** Whole frames at the front of the queued input; the rest stays queued. Lengths are checked as soon as a header is there. */
  private takeFrames(): Frame[] {
    const frames: Frame[] = [];
    while (this.queuedBytes >= HEADER_SIZE) {
      const header = this.peek(HEADER_SIZE);
      const length = new DataView(header.buffer, header.byteOffset, HEADER_SIZE).getUint32(NONCE_SIZE, false);
      if (length < MIN_BODY_SIZE || length > MAX_BODY_SIZE) fail();
      if (this.queuedBytes < HEADER_SIZE + length) break;
      const bytes = this.take(HEADER_SIZE + length);
      frames.push({ nonce: bytes.subarray(0, NONCE_SIZE), body: bytes.subarray(HEADER_SIZE) });
    }
    return frames;
  }

  /** The first `n` queued bytes, contiguous (the front chunks are merged when a header spans them). */
  private peek(n: number): Bytes {
    if (this.queue[this.head].length < n) {
      const merged = this.take(n);
      this.queuedBytes += n;
      this.queue[--this.head] = merged; // take() consumed at least one slot, so head > 0 here
    }
    return this.queue[this.head].subarray(0, n);
  }

  /** Removes the first `n` queued bytes: a view when one chunk holds them, else one copy (each byte is copied at most once). */
  private take(n: number): Bytes {
    this.queuedBytes -= n;
    const out = this.queue[this.head].length >= n ? undefined : new Uint8Array(n);
    let filled = 0;
    let view: Bytes | undefined;
    while (filled < n) {
      const chunk = this.queue[this.head];
      const part = Math.min(chunk.length, n - filled);
      if (out) out.set(chunk.subarray(0, part), filled);
      else view = chunk.subarray(0, part);
      filled += part;
      if (part === chunk.length) this.queue[this.head++] = EMPTY;
      else this.queue[this.head] = chunk.subarray(part);
    }
    return out ?? view!;
  }

  /** Checks each frame's structure (no decryption of a frame that cannot belong here) and starts its decryption. */
  private async startFrames(frames: Frame[]): Promise<void> {
    if (frames.length === 0) return;
    if (this.prefix === undefined) await this.begin(frames[0].nonce);
    for (const frame of frames) {
      const last = this.checkNonce(frame.nonce);
      const plaintext = crypto.subtle.decrypt({ name: 'AES-GCM', iv: frame.nonce }, this.key, frame.body);
      // Observed here so that a frame failing behind an earlier failure is no unhandled rejection.
      plaintext.catch(() => undefined);
      this.inFlight.push({ plaintext, last });
    }
  }

  /** Verifies, hashes and releases the oldest decryptions until at most `keep` are in flight, in frame order. */
  private async drain(keep: number): Promise<Bytes[]> {
    const out: Bytes[] = [];
    while (this.inFlight.length - this.inFlightHead > keep) {
      const next = this.inFlight[this.inFlightHead++];
      let plaintext: Bytes;
      try {
        plaintext = new Uint8Array(await next.plaintext);
      } catch {
        fail();
      }
      // Only the final chunk of a strict blob may be short.
      if (!this.legacy && !next.last && plaintext.length !== CHUNK_SIZE) fail();
      await this.hasher.update(plaintext);
      this.plaintextSize += plaintext.length;
      if (this.held && this.held.length > 0) out.push(this.held);
      this.held = plaintext;
    }
    if (this.inFlightHead > 1024 && this.inFlightHead * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    return out;
  }

  private async begin(firstNonce: Bytes): Promise<void> {
    this.prefix = firstNonce.slice(0, NONCE_PREFIX_SIZE);
    this.legacy = !(counterOf(firstNonce) === 0 && isKnownFlag(flagOf(firstNonce)));
    const { commitment } = this.options;
    // Blobs with a commitment are Coffer-written, hence strict: a legacy one is refused outright.
    if (commitment !== undefined && (this.legacy || !(await verifyKeyCommitment(this.rawKey, this.prefix, commitment)))) fail();
  }

  /** Strict blobs: same prefix, counter = index, a known flag, nothing after the final frame. Answers whether it is final. */
  private checkNonce(nonce: Bytes): boolean {
    if (this.finalSeen) fail();
    if (this.legacy) return false;
    const prefix = this.prefix!;
    for (let i = 0; i < NONCE_PREFIX_SIZE; i++) if (nonce[i] !== prefix[i]) fail();
    if (counterOf(nonce) !== this.counter || !isKnownFlag(flagOf(nonce))) fail();
    this.counter++;
    const last = flagOf(nonce) === LAST_FRAME_FLAG;
    if (last) this.finalSeen = true;
    return last;
  }
}
