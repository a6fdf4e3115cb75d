import { createSHA256, type IHasher } from 'hash-wasm';
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
}

export interface DecryptResult {
  sha256: string;
  plaintextSize: number;
  /** No structured nonces (a stock Hashdrop writer): frames verified, order and completeness unproven. */
  legacy: boolean;
}

const EMPTY: Bytes = new Uint8Array(0);

interface Frame {
  nonce: Bytes;
  body: Bytes;
}

/**
 * Streaming decryption of a blob (docs/FORMAT.md, "Decryption rules"), fed with the download's
 * chunks as they come: `push` answers the plaintext that verified so far, `finish` the rest once
 * the input ended. The last plaintext is always held back until the next frame verified or the end
 * checks passed (final flag, nothing after it, SHA-256), so the caller never writes the end of a
 * file whose end is wrong. Any failure is one DecryptionError; the caller then discards everything.
 * Frames within one push are decrypted concurrently (WebCrypto runs them off the main thread).
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

  private constructor(
    private readonly key: AesKey,
    private readonly rawKey: Bytes,
    private readonly hasher: IHasher,
    private readonly options: DecryptOptions,
  ) {}

  static async create(rawKey: Bytes, options: DecryptOptions = {}): Promise<BlobDecryptor> {
    if (rawKey.length !== KEY_SIZE) fail();
    const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['decrypt']);
    const hasher = await createSHA256();
    hasher.init();
    return new BlobDecryptor(key, rawKey, hasher, options);
  }

  /** Plaintext that verified and may be written (possibly none yet). */
  async push(chunk: Uint8Array): Promise<Bytes[]> {
    return this.guarded(async () => {
      if (chunk.length === 0) return [];
      if (this.finalSeen) fail(); // any byte after the final frame
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      // Copied: the caller may reuse its chunk's memory.
      this.queue.push(new Uint8Array(chunk));
      this.queuedBytes += chunk.length;
      return this.openFrames(this.takeFrames());
    });
  }

  /** The input ended: the last plaintext, after the end checks. */
  async finish(): Promise<{ plaintext: Bytes[]; result: DecryptResult }> {
    return this.guarded(() => {
      if (this.queuedBytes > 0 || this.prefix === undefined) fail(); // a frame cut short, or no frame at all
      if (!this.legacy && !this.finalSeen) fail(); // truncated before the final frame
      const sha256 = this.hasher.digest('hex');
      if (this.options.sha256 !== undefined && this.options.sha256.toLowerCase() !== sha256) fail();
      const last = this.held && this.held.length > 0 ? [this.held] : [];
      this.held = undefined;
      return { plaintext: last, result: { sha256, plaintextSize: this.plaintextSize, legacy: this.legacy } };
    });
  }

  private async guarded<T>(step: () => T | Promise<T>): Promise<T> {
    if (this.failed) fail();
    try {
      return await step();
    } catch (error) {
      this.failed = true;
      this.held = undefined;
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

  private async openFrames(frames: Frame[]): Promise<Bytes[]> {
    if (frames.length === 0) return [];
    if (this.prefix === undefined) await this.begin(frames[0].nonce);
    // Structure first (no decryption of a frame that cannot belong here), then every tag.
    const lasts = frames.map((frame) => this.checkNonce(frame.nonce));
    const opened = frames.map((frame) => crypto.subtle.decrypt({ name: 'AES-GCM', iv: frame.nonce }, this.key, frame.body));
    const out: Bytes[] = [];
    for (let i = 0; i < frames.length; i++) {
      let plaintext: Bytes;
      try {
        plaintext = new Uint8Array(await opened[i]);
      } catch {
        await Promise.allSettled(opened);
        fail();
      }
      // Only the final chunk of a strict blob may be short.
      if (!this.legacy && !lasts[i] && plaintext.length !== CHUNK_SIZE) fail();
      this.hasher.update(plaintext);
      this.plaintextSize += plaintext.length;
      if (this.held && this.held.length > 0) out.push(this.held);
      this.held = plaintext;
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
