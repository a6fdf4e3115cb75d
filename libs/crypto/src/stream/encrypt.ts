import { randomBytes } from 'node:crypto';
import { frameSealer, type FrameSealer } from '../format/aes-gcm';
import { CHUNK_SIZE, MAX_FRAME_SIZE, MAX_FRAMES, NONCE_PREFIX_SIZE, NONCE_SIZE, setNonceCounter } from '../format/blob';
import { keyCommitment } from '../format/commitment';
import { toAesKey } from '../format/keys';
import { giveBack, takeBuffer } from './buffer-pool';
import { hashesOnWorker, prestartHashWorker } from './hash-ring';
import { reuseChunks } from './pipeline';
import { plaintextSlots, type PlaintextDigest } from './plaintext-slots';
import { resultStream, type ResultStream } from './result-stream';
import { SLOT_SIZE, SLOTS } from './ring-layout';
import { isFileSource, type EncryptSource } from './sources';

export interface EncryptOptions {
  /** Use this 7-byte nonce prefix instead of a fresh random one. Only for reproducible test vectors. */
  noncePrefix?: Uint8Array;
  /**
   * The plaintext's size, when known ahead (a `FileSource` states its own): large plaintexts are
   * hashed on a worker thread while this thread encrypts.
   */
  expectedSize?: number;
}

/** Where a run of frames sits in its blob (`encryptPart`); a whole blob is `{ firstFrame: 0, final: true }`. */
interface FramePlacement {
  /** Counter of the first frame. */
  firstFrame: number;
  /** Whether the last frame of this input is the blob's final frame (flag 0x01). */
  final: boolean;
}

const WHOLE_BLOB: FramePlacement = { firstFrame: 0, final: true };

export type EncryptResult = PlaintextDigest;

export interface EncryptedBlob extends ResultStream<EncryptResult> {
  /** The blob's nonce prefix (7 bytes). */
  readonly noncePrefix: Buffer;
  /** Key commitment (base64) of this blob; known before the first byte is read. */
  readonly commitment: string;
}

/**
 * Encrypts `src` into a blob (docs/FORMAT.md), yielding blob bytes in chunks of up to 16 frames;
 * `result` gives the plaintext's SHA-256 and size, computed in the same pass. A `FileSource` (an
 * open file) of more than a few MiB is read by the hashing worker itself. Chunks of an async
 * iterable source may be reused by it once the next one is asked for.
 */
export function encrypt(src: EncryptSource, key: Uint8Array, options: EncryptOptions = {}): EncryptedBlob {
  return encryptWith(src, key, options, hashesOnWorker(isFileSource(src) ? src.size : options.expectedSize));
}

/** `encrypt` with the choice of thread made by the caller (tests cover both at every size). */
export function encryptWith(src: EncryptSource, key: Uint8Array, options: EncryptOptions, onWorker: boolean, placement = WHOLE_BLOB): EncryptedBlob {
  const sealFrame = frameSealer(key, toAesKey(key));
  const noncePrefix = Buffer.from(options.noncePrefix ?? randomBytes(NONCE_PREFIX_SIZE));
  const commitment = keyCommitment(key, noncePrefix);
  const outputs = new OutputChunks();
  // The slots (and a worker) are made on the first read: a blob never read starts nothing.
  const stream = resultStream<EncryptResult>((settle) => sealSlots(src, onWorker, sealFrame, noncePrefix, placement, outputs, settle));
  return reuseChunks(Object.assign(stream, { noncePrefix, commitment }), (chunk) => outputs.recycle(chunk));
}

/**
 * Starts the hashing worker of a coming `encrypt` of `plaintextSize` bytes now, if it will use
 * one, so that its start-up overlaps what comes first (e.g. the presign request of an upload).
 */
export function prestartEncryptWorker(plaintextSize: number): void {
  if (hashesOnWorker(plaintextSize)) prestartHashWorker();
}

async function* sealSlots(
  src: EncryptSource,
  onWorker: boolean,
  sealFrame: FrameSealer,
  noncePrefix: Buffer,
  placement: FramePlacement,
  outputs: OutputChunks,
  settle: (result: EncryptResult) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const slots = plaintextSlots(src, onWorker);
  const nonce = Buffer.alloc(NONCE_SIZE);
  noncePrefix.copy(nonce);
  let counter = placement.firstFrame;
  try {
    for (;;) {
      const { bytes, last } = await slots.next();
      const out = outputs.take();
      let used = 0;
      let offset = 0;
      // An empty plaintext still makes one (final) frame.
      do {
        const size = Math.min(CHUNK_SIZE, bytes.length - offset);
        if (counter === MAX_FRAMES) throw new RangeError('plaintext is too large for one blob');
        setNonceCounter(nonce, counter++, placement.final && last && offset + size === bytes.length);
        used = sealFrame(nonce, bytes.subarray(offset, offset + size), out, used);
        offset += size;
      } while (offset < bytes.length);
      slots.release();
      if (last) {
        settle(await slots.result());
        yield out.subarray(0, used);
        return;
      }
      yield out.subarray(0, used);
    }
  } finally {
    outputs.end();
    // Before the caller may close a file the worker reads.
    await slots.dispose();
  }
}

/** Output chunk size: the frames of one full slot. */
const OUTPUT_CHUNK_SIZE = (SLOT_SIZE / CHUNK_SIZE) * MAX_FRAME_SIZE;

/** Memory for output chunks: from the pool, or given back by the consumer (`pipeTo`). */
class OutputChunks {
  private readonly issued = new WeakSet<ArrayBufferLike>();
  private readonly spare: Buffer[] = [];
  private ended = false;

  take(): Buffer {
    const out = this.spare.pop() ?? takeBuffer(OUTPUT_CHUNK_SIZE);
    this.issued.add(out.buffer);
    return out;
  }

  /** Takes back a chunk of this blob once nothing reads it; anything else is ignored. */
  recycle(chunk: Uint8Array): void {
    const buffer = chunk.buffer;
    if (!this.issued.has(buffer)) return;
    this.issued.delete(buffer);
    const whole = Buffer.from(buffer, 0, OUTPUT_CHUNK_SIZE);
    // Once the blob has ended, its chunks serve the next blob (the next part of an upload).
    if (this.ended || this.spare.length >= SLOTS) giveBack(whole);
    else this.spare.push(whole);
  }

  /** The blob made its last chunk: spare memory goes to the pool. */
  end(): void {
    this.ended = true;
    for (const buffer of this.spare.splice(0)) giveBack(buffer);
  }
}
