import { createHash, type KeyObject } from 'node:crypto';
import { gcmOpen, gcmSeal } from '../format/aes-gcm';
import { CHUNK_SIZE, FRAME_OVERHEAD, HEADER_SIZE, MAX_BODY_SIZE, MAX_FRAME_SIZE, MAX_FRAMES, NONCE_PREFIX_SIZE, NONCE_SIZE, TAG_SIZE, readStrictNonce, setNonceCounter } from '../format/blob';
import { DecryptionError } from '../format/decryption-error';
import { assertKeySize, toAesKey } from '../format/keys';
import { nativeGcm } from '../format/native-gcm';

/** Full frames are this long on the wire (65,568 bytes): ranges of whole frames start at multiples of it. */
export const FRAME_SIZE = MAX_FRAME_SIZE;

/**
 * How many frames a strict (Coffer-written) blob of `blobSize` bytes has: every frame but the last
 * is full, the last holds 0–65,536 bytes of plaintext. A size no blob can have fails like any
 * other decryption failure.
 */
export function frameCountOf(blobSize: number): number {
  if (!Number.isSafeInteger(blobSize) || blobSize < FRAME_OVERHEAD) fail();
  const frames = Math.ceil(blobSize / FRAME_SIZE);
  const last = blobSize - (frames - 1) * FRAME_SIZE;
  if (last < FRAME_OVERHEAD || frames > MAX_FRAMES) fail();
  return frames;
}

/** Plaintext size of a strict blob of `blobSize` bytes. */
export function plaintextSizeOf(blobSize: number): number {
  return blobSize - frameCountOf(blobSize) * FRAME_OVERHEAD;
}

export interface FrameRange {
  /** The blob's nonce prefix (7 bytes), checked against the key commitment beforehand. */
  prefix: Uint8Array;
  /** Index of the range's first frame in the blob. */
  firstFrame: number;
  /** Frames of the whole blob: only frame `totalFrames - 1` may, and must, carry the final flag. */
  totalFrames: number;
}

/**
 * Decrypts a run of whole frames cut out of a strict blob (a ranged download), into `out` at 0,
 * and returns the plaintext length. Each frame must sit at its own place: the counter equal to its
 * index, the blob's prefix, the final flag exactly on the blob's last frame, full frames except
 * that one, and nothing left over. With the range boundaries at whole frames, every range is
 * verified on its own with the guarantees of a sequential read (docs/FORMAT.md). Any failure is
 * one `DecryptionError`, and `out` must then be discarded.
 */
export function openFrameRange(key: Uint8Array, range: FrameRange, ciphertext: Uint8Array, out: Uint8Array): number {
  const prefix = Buffer.from(range.prefix.buffer, range.prefix.byteOffset, range.prefix.byteLength);
  if (prefix.length !== NONCE_PREFIX_SIZE) fail();
  const data = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  assertKeySize(key);
  const native = nativeGcm.binding;
  const aesKey = native ? undefined : toAesKey(key);
  let offset = 0;
  let written = 0;
  for (let frame = range.firstFrame; offset < data.length; frame++) {
    if (frame >= range.totalFrames || data.length - offset < FRAME_OVERHEAD) fail();
    const nonce = data.subarray(offset, offset + NONCE_SIZE);
    const strict = readStrictNonce(nonce, prefix, frame) ?? fail();
    if (strict.last !== (frame === range.totalFrames - 1)) fail();
    const length = data.readUInt32BE(offset + NONCE_SIZE);
    if (length < TAG_SIZE || length > MAX_BODY_SIZE || (!strict.last && length !== MAX_BODY_SIZE)) fail();
    const bodyStart = offset + HEADER_SIZE;
    if (bodyStart + length > data.length) fail();
    const sealed = data.subarray(bodyStart, bodyStart + length);
    const size = length - TAG_SIZE;
    if (written + size > out.length) fail();
    const target = out.subarray(written, written + size);
    if (native) {
      if (!native.open(key, nonce, sealed, target)) fail();
    } else {
      try {
        target.set(gcmOpen(aesKey!, nonce, sealed));
      } catch {
        fail();
      }
    }
    written += size;
    offset = bodyStart + length;
    // A range ends on a frame boundary; the blob's last frame must be the last thing in it.
    if (strict.last && offset !== data.length) fail();
  }
  return written;
}

/**
 * What proves a range's plaintext without a hash of it: the SHA-256 of the GCM tags of its frames,
 * in order (lowercase hex). Takes a ciphertext run that `openFrameRange` has verified. The tags are
 * MACs under the file key, so only the key's holder can give a changed plaintext a matching proof;
 * `resealProof` gives it back from the plaintext.
 */
export function rangeProof(ciphertext: Uint8Array): string {
  const data = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  const hash = createHash('sha256');
  for (let offset = 0; offset < data.length; ) {
    const end = offset + HEADER_SIZE + data.readUInt32BE(offset + NONCE_SIZE);
    hash.update(data.subarray(end - TAG_SIZE, end));
    offset = end;
  }
  return hash.digest('hex');
}

/**
 * The proof (`rangeProof`) of a range's plaintext, found by encrypting it again with the frames'
 * own nonces (AES-GCM is deterministic given key and nonce): equal to the proof of the frames it
 * was decrypted from exactly when it is that plaintext, byte for byte. `scratch` holds one frame's
 * ciphertext and tag (65,552 bytes) and is overwritten. Costs one AES-GCM pass, no SHA-256 over
 * the plaintext.
 */
export function resealProof(key: Uint8Array, range: FrameRange, plaintext: Uint8Array, scratch: Uint8Array, aesKey?: KeyObject): string {
  assertKeySize(key);
  const native = nativeGcm.binding;
  const nonce = Buffer.alloc(NONCE_SIZE);
  nonce.set(range.prefix.subarray(0, NONCE_PREFIX_SIZE));
  const hash = createHash('sha256');
  let frame = range.firstFrame;
  for (let offset = 0; offset < plaintext.length || frame === range.firstFrame; frame++) {
    const size = Math.min(CHUNK_SIZE, plaintext.length - offset);
    const last = frame === range.totalFrames - 1;
    // Only the blob's last frame may be short (or empty); a plaintext that does not fit is not the range's.
    if (frame >= range.totalFrames || (!last && size !== CHUNK_SIZE) || (last && offset + size !== plaintext.length)) fail();
    setNonceCounter(nonce, frame, last);
    const chunk = plaintext.subarray(offset, offset + size);
    if (native) {
      native.seal(key, nonce, chunk, scratch.subarray(0, size + TAG_SIZE));
      hash.update(scratch.subarray(size, size + TAG_SIZE));
    } else {
      hash.update(gcmSeal(aesKey ?? toAesKey(key), nonce, chunk).tag);
    }
    offset += size;
    if (last) break;
  }
  return hash.digest('hex');
}

/** The plaintext bytes of `frames` full frames: where a range's plaintext starts in the file. */
export function plaintextOffsetOf(firstFrame: number): number {
  return firstFrame * CHUNK_SIZE;
}

function fail(): never {
  throw new DecryptionError();
}
