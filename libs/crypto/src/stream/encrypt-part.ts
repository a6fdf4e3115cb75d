import { blobSize, CHUNK_SIZE, MAX_FRAME_SIZE, MAX_FRAMES, NONCE_PREFIX_SIZE } from '../format/blob';
import { encryptWith, type EncryptedBlob } from './encrypt';
import { hashesOnWorker } from './hash-ring';
import type { FileSource } from './sources';

export interface PartPlacement {
  /** The blob's nonce prefix (7 bytes): the same for every part of one blob. */
  noncePrefix: Uint8Array;
  /** Index of the part's first frame in the blob (its first nonce counter). */
  firstFrame: number;
  /** Whether this is the blob's last part: only its last frame carries the final flag. */
  isLast: boolean;
}

/**
 * Encrypts one part of a blob on its own (docs/FORMAT.md, "Multipart uploads"): the plaintext
 * bytes `[offset, offset + size)` of the file, which must be frames `firstFrame…` of the whole
 * plaintext (`offset = firstFrame × 65,536`). Every part but the last is a whole number of full
 * frames. The parts of one plaintext, under one key and prefix, concatenated in order, are
 * byte for byte the blob `encrypt` makes; `result` gives the part's own plaintext SHA-256 and size.
 *
 * The caller must never encrypt other plaintext under the same key, prefix and frame counters:
 * re-encrypting a part (a retry, a resumed upload) is safe only for the very same bytes.
 */
export function encryptPart(src: FileSource, key: Uint8Array, placement: PartPlacement): EncryptedBlob {
  const { noncePrefix, firstFrame, isLast } = placement;
  const offset = src.offset ?? 0;
  if (noncePrefix.length !== NONCE_PREFIX_SIZE) throw new RangeError(`the nonce prefix must be ${NONCE_PREFIX_SIZE} bytes`);
  if (!Number.isSafeInteger(firstFrame) || firstFrame < 0 || firstFrame >= MAX_FRAMES) throw new RangeError('firstFrame must be a frame index');
  if (offset !== firstFrame * CHUNK_SIZE) throw new RangeError('a part starts at the first byte of its first frame');
  if (!Number.isSafeInteger(src.size) || src.size < 0) throw new RangeError('the part size must be a non-negative integer');
  // Only the very last part may hold a short frame, and only an empty blob an empty one.
  if (!isLast && (src.size === 0 || src.size % CHUNK_SIZE !== 0)) throw new RangeError('every part but the last is a whole number of full frames');
  if (isLast && src.size === 0 && firstFrame !== 0) throw new RangeError('only an empty blob ends in an empty frame');
  return encryptWith(src, key, { noncePrefix }, hashesOnWorker(src.size), { firstFrame, final: isLast });
}

/** One part of a blob cut into parts of whole frames. */
export interface BlobPart {
  /** 1-based, as S3 numbers parts. */
  partNumber: number;
  /** Plaintext bytes `[offset, offset + size)`. */
  offset: number;
  size: number;
  firstFrame: number;
  isLast: boolean;
  /** The part's ciphertext size: its plaintext plus 32 bytes per frame. */
  encryptedSize: number;
}

/**
 * The parts of the blob of a `plaintextSize`-byte plaintext cut into parts of `partSize` blob
 * bytes, which must be a whole number of full frames (65,568 bytes each). Every part but the last
 * is exactly `partSize` bytes of blob; their sizes add up to `blobSize(plaintextSize)`.
 */
export function blobParts(plaintextSize: number, partSize: number): BlobPart[] {
  const total = blobSize(plaintextSize);
  if (!Number.isSafeInteger(partSize) || partSize <= 0 || partSize % MAX_FRAME_SIZE !== 0) {
    throw new RangeError(`a part is a whole number of full frames (${MAX_FRAME_SIZE} bytes each), got ${partSize}`);
  }
  const framesPerPart = partSize / MAX_FRAME_SIZE;
  const count = Math.ceil(total / partSize);
  const parts: BlobPart[] = [];
  for (let index = 0; index < count; index++) {
    const firstFrame = index * framesPerPart;
    const offset = firstFrame * CHUNK_SIZE;
    const isLast = index === count - 1;
    const size = isLast ? plaintextSize - offset : framesPerPart * CHUNK_SIZE;
    parts.push({ partNumber: index + 1, offset, size, firstFrame, isLast, encryptedSize: isLast ? total - index * partSize : partSize });
  }
  return parts;
}
