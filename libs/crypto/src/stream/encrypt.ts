import { randomBytes } from 'node:crypto';
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { frameSealer, type FrameSealer } from './aes-gcm';
import {
  CHUNK_SIZE,
  MAX_FRAME_SIZE,
  MAX_FRAMES,
  NONCE_PREFIX_SIZE,
  NONCE_SIZE,
  setNonceCounter,
} from './blob-format';
import { ByteReader } from './byte-reader';
import { keyCommitment } from './commitment';
import { toAesKey } from './keys';
import { resultStream, type ResultStream } from './result-stream';
import { createSha256 } from './sha256';
import {
  FileChangedError,
  isBlockSource,
  isFileSource,
  prestartEncryptWorker,
  sealFramesOnWorker,
  type BlockSource,
  type EncryptPipe,
  type EncryptSource,
  type FileSource,
} from './worker-encrypt';

export { FileChangedError, prestartEncryptWorker };
export type { BlockSource, EncryptSource, FileSource };

const readAt = promisify(read);

/** Frames emitted per output chunk: fewer, larger writes downstream. */
const FRAMES_PER_OUTPUT_CHUNK = 4;
/** Reads of a `BlockSource` on the inline path: large, since 64 KiB reads halve the throughput. */
const BLOCK_SOURCE_READ_SIZE = 1024 * 1024;

export interface EncryptOptions {
  /** Use this 7-byte nonce prefix instead of a fresh random one. Only for reproducible test vectors. */
  noncePrefix?: Uint8Array;
  /** Hash on a worker thread, so SHA-256 overlaps AES-GCM on a second core. Worth it above a few MiB. */
  hashInWorker?: boolean;
  /**
   * Hash on a worker thread (which also reads a `FileSource`) while the calling thread encrypts:
   * the two cost about the same. Worth it above a few MiB; `hashInWorker` is then irrelevant.
   */
  encryptInWorker?: boolean;
}

export interface EncryptResult {
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
  plaintextSize: number;
}

export interface EncryptedBlob extends ResultStream<EncryptResult> {
  /** The blob's nonce prefix (7 bytes). */
  readonly noncePrefix: Buffer;
  /** Key commitment (base64) of this blob; known before the first byte is read. */
  readonly commitment: string;
  /**
   * Hands back a chunk the consumer no longer needs (e.g. once its socket write has completed),
   * optional: later chunks then reuse its memory, which stays hot in cache. Only chunks of this
   * blob are taken, only with `encryptInWorker`; otherwise, and for anything else, it does nothing.
   * Never hand back a chunk that something still reads.
   */
  recycle(chunk: Uint8Array): void;
}

/**
 * Encrypts `src` into a blob (FORMAT.md), yielding blob bytes in chunks of up to four frames
 * (sixteen with `encryptInWorker`).
 * `result` gives the plaintext's SHA-256 and size, computed in the same pass. Chunks of `src` must
 * not be modified after they are yielded. A `BlockSource` (one that reads into given memory)
 * saves a copy on the worker path; a `FileSource` (an open file) is read by the worker itself.
 */
export function encrypt(src: EncryptSource, key: Uint8Array, options: EncryptOptions = {}): EncryptedBlob {
  const aesKey = toAesKey(key);
  const noncePrefix = Buffer.from(options.noncePrefix ?? randomBytes(NONCE_PREFIX_SIZE));
  const commitment = keyCommitment(key, noncePrefix);
  let pipe: EncryptPipe | undefined;
  const stream = resultStream<EncryptResult>((settle) =>
    options.encryptInWorker
      ? sealFramesOnWorker(src, key, noncePrefix, settle, (started) => (pipe = started))
      : sealFrames(inlineSource(src), frameSealer(key, aesKey), noncePrefix, options.hashInWorker ?? false, settle),
  );
  const recycle = (chunk: Uint8Array): void => pipe?.recycle(chunk);
  return Object.assign(stream, { noncePrefix, commitment, recycle });
}

async function* sealFrames(
  src: AsyncIterable<Uint8Array>,
  sealFrame: FrameSealer,
  noncePrefix: Buffer,
  hashInWorker: boolean,
  settle: (result: EncryptResult) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = new ByteReader(src);
  const sha256 = createSha256(hashInWorker);
  const nonce = Buffer.alloc(NONCE_SIZE);
  noncePrefix.copy(nonce);
  try {
    let out = newOutputChunk();
    let offset = 0;
    let plaintextSize = 0;
    for (let counter = 0; ; counter++) {
      const chunk = await reader.read(CHUNK_SIZE);
      // The flag is part of the nonce, so a full chunk waits until we know whether anything follows.
      const last = chunk.length < CHUNK_SIZE || !(await reader.hasMore());
      if (counter === MAX_FRAMES) throw new RangeError('plaintext is too large for one blob');
      setNonceCounter(nonce, counter, last);
      offset = sealFrame(nonce, chunk, out, offset);
      await sha256.update(chunk);
      plaintextSize += chunk.length;
      if (last) {
        settle({ sha256: await sha256.digest(), plaintextSize });
        yield out.subarray(0, offset);
        return;
      }
      if (offset + MAX_FRAME_SIZE > out.length) {
        yield out.subarray(0, offset);
        out = newOutputChunk();
        offset = 0;
      }
    }
  } finally {
    sha256.dispose();
    await reader.close();
  }
}

function inlineSource(src: EncryptSource): AsyncIterable<Uint8Array> {
  if (isFileSource(src)) return fileBlocks(src);
  return isBlockSource(src) ? blocksOf(src) : src;
}

/** Exactly `file.size` bytes of the file from its start, in large blocks. */
async function* fileBlocks(file: FileSource): AsyncGenerator<Uint8Array> {
  for (let position = 0; position < file.size; ) {
    const block = Buffer.allocUnsafe(Math.min(BLOCK_SOURCE_READ_SIZE, file.size - position));
    const { bytesRead } = await readAt(file.fd, block, 0, block.length, position);
    if (bytesRead === 0) throw new FileChangedError(position, file.size);
    position += bytesRead;
    yield block.subarray(0, bytesRead);
  }
}

async function* blocksOf(src: BlockSource): AsyncGenerator<Uint8Array> {
  for (;;) {
    const block = Buffer.allocUnsafe(BLOCK_SOURCE_READ_SIZE);
    const read = await src.readInto(block);
    if (read === 0) return;
    yield block.subarray(0, read);
  }
}

function newOutputChunk(): Buffer {
  return Buffer.allocUnsafe(FRAMES_PER_OUTPUT_CHUNK * MAX_FRAME_SIZE);
}
