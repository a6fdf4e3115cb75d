import type { Bytes } from './bytes';
import { CHUNK_SIZE, FRAME_OVERHEAD, HEADER_SIZE, LAST_FRAME_FLAG, MIDDLE_FRAME_FLAG, NONCE_PREFIX_SIZE, NONCE_SIZE } from './blob-format';

/** A full frame in the blob: 16-byte header, 65,536 bytes of ciphertext, 16-byte tag. */
export const MAX_FRAME_SIZE = CHUNK_SIZE + FRAME_OVERHEAD;
/** Nonce counters are 32 bits (docs/FORMAT.md). */
const MAX_FRAMES = 2 ** 32;

/** Blob size for P plaintext bytes: P + 32 × max(1, ceil(P / 65,536)) (docs/FORMAT.md). */
export function blobSize(plaintextBytes: number): number {
  return plaintextBytes + FRAME_OVERHEAD * Math.max(1, Math.ceil(plaintextBytes / CHUNK_SIZE));
}

/** The frame nonce: prefix || counter (big-endian) || final flag (docs/FORMAT.md, "Structured nonce"). */
function nonceFor(prefix: Bytes, counter: number, last: boolean): Bytes {
  const nonce = new Uint8Array(NONCE_SIZE);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_SIZE, counter, false);
  nonce[NONCE_SIZE - 1] = last ? LAST_FRAME_FLAG : MIDDLE_FRAME_FLAG;
  return nonce;
}

/** One part of a blob cut into parts of whole frames (libs/crypto's `blobParts`, for the browser). */
export interface BlobPart {
  /** 1-based, as S3 numbers parts. */
  partNumber: number;
  /** Plaintext bytes `[offset, offset + size)` of the file. */
  offset: number;
  size: number;
  /** Index of the part's first frame in the blob: its first nonce counter. */
  firstFrame: number;
  /** Only the blob's last part ends in the frame with the final flag. */
  isLast: boolean;
  /** Plaintext plus 32 bytes per frame. */
  encryptedSize: number;
}

/**
 * The parts of the blob of a `plaintextSize`-byte file cut into parts of `partSize` blob bytes, a
 * whole number of full frames (docs/API.md, "Multipart uploads"): every part but the last is
 * exactly `partSize` bytes, and the sizes add up to `blobSize(plaintextSize)`.
 */
export function blobParts(plaintextSize: number, partSize: number): BlobPart[] {
  if (!Number.isSafeInteger(partSize) || partSize <= 0 || partSize % MAX_FRAME_SIZE !== 0) {
    throw new RangeError(`a part is a whole number of full frames (${MAX_FRAME_SIZE} bytes each), got ${partSize}`);
  }
  const total = blobSize(plaintextSize);
  const framesPerPart = partSize / MAX_FRAME_SIZE;
  const count = Math.ceil(total / partSize);
  const parts: BlobPart[] = [];
  for (let index = 0; index < count; index++) {
    const firstFrame = index * framesPerPart;
    const offset = firstFrame * CHUNK_SIZE;
    const isLast = index === count - 1;
    parts.push({
      partNumber: index + 1,
      offset,
      size: isLast ? plaintextSize - offset : framesPerPart * CHUNK_SIZE,
      firstFrame,
      isLast,
      encryptedSize: isLast ? total - index * partSize : partSize,
    });
  }
  return parts;
}

/** AES-GCM calls of one part in flight at once: WebCrypto runs them off the page's thread, several side by side. */
const FRAMES_IN_FLIGHT = 16;

/**
 * Encrypts one part on its own: `plaintext` is frames `firstFrame…` of the file (every part but the
 * last a whole number of full frames). The parts of one file under one key and prefix, joined in
 * order, are byte for byte the blob `encryptBlob` makes, so parts can be encrypted and sent in any
 * order. Re-encrypting a part (a retry) is safe only for the very same bytes: the nonces repeat.
 */
export async function encryptPart(plaintext: Bytes, key: CryptoKey, placement: { noncePrefix: Bytes; firstFrame: number; isLast: boolean }): Promise<Bytes> {
  const { noncePrefix, firstFrame, isLast } = placement;
  if (noncePrefix.length !== NONCE_PREFIX_SIZE) throw new RangeError('a nonce prefix has 7 bytes');
  if (!isLast && (plaintext.length === 0 || plaintext.length % CHUNK_SIZE !== 0)) throw new RangeError('every part but the last is a whole number of full frames');
  if (isLast && plaintext.length === 0 && firstFrame !== 0) throw new RangeError('only an empty blob ends in an empty frame');
  const frames = Math.max(1, Math.ceil(plaintext.length / CHUNK_SIZE));
  if (!Number.isSafeInteger(firstFrame) || firstFrame < 0 || firstFrame + frames > MAX_FRAMES) throw new RangeError('a blob holds at most 2^32 frames');
  const out = new Uint8Array(plaintext.length + frames * FRAME_OVERHEAD);
  const encryptFrame = async (i: number) => {
    const nonce = nonceFor(noncePrefix, firstFrame + i, isLast && i === frames - 1);
    const chunk = plaintext.subarray(i * CHUNK_SIZE, Math.min(plaintext.length, (i + 1) * CHUNK_SIZE));
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, chunk));
    const at = i * MAX_FRAME_SIZE;
    out.set(nonce, at);
    new DataView(out.buffer).setUint32(at + NONCE_SIZE, body.length, false);
    out.set(body, at + HEADER_SIZE);
  };
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < frames; i = next++) await encryptFrame(i);
  };
  await Promise.all(Array.from({ length: Math.min(FRAMES_IN_FLIGHT, frames) }, lane));
  return out;
}
