/** Constants and pure helpers of the blob format (docs/FORMAT.md, "Frames" and "Structured nonce"). */

export const CHUNK_SIZE = 65_536;
export const NONCE_SIZE = 12;
export const NONCE_PREFIX_SIZE = 7;
export const TAG_SIZE = 16;
/** Nonce plus the 4-byte big-endian body length. */
export const HEADER_SIZE = NONCE_SIZE + 4;
export const FRAME_OVERHEAD = HEADER_SIZE + TAG_SIZE;
export const MIN_BODY_SIZE = TAG_SIZE;
export const MAX_BODY_SIZE = CHUNK_SIZE + TAG_SIZE;
export const MAX_FRAME_SIZE = HEADER_SIZE + MAX_BODY_SIZE;
/** The counter is 4 bytes, so one blob holds at most 2^32 frames (256 TiB). */
export const MAX_FRAMES = 2 ** 32;

const COUNTER_OFFSET = NONCE_PREFIX_SIZE;
const FLAG_OFFSET = NONCE_SIZE - 1;
const LAST_FRAME_FLAG = 0x01;
const MIDDLE_FRAME_FLAG = 0x00;

/** Exact size of the blob that `encrypt` produces for a plaintext of `plaintextSize` bytes. */
export function blobSize(plaintextSize: number): number {
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) {
    throw new RangeError(`plaintext size must be a non-negative integer, got ${plaintextSize}`);
  }
  const frames = Math.max(1, Math.ceil(plaintextSize / CHUNK_SIZE));
  if (frames > MAX_FRAMES) throw new RangeError(`plaintext of ${plaintextSize} bytes is too large for one blob`);
  return plaintextSize + FRAME_OVERHEAD * frames;
}

/** Writes counter and flag into `nonce`, whose first 7 bytes already hold the blob's prefix. */
export function setNonceCounter(nonce: Buffer, counter: number, last: boolean): void {
  nonce.writeUInt32BE(counter, COUNTER_OFFSET);
  nonce[FLAG_OFFSET] = last ? LAST_FRAME_FLAG : MIDDLE_FRAME_FLAG;
}

/** A strict (Coffer-written) blob starts with counter 0 and a flag of 0 or 1. */
export function isStrictFirstNonce(nonce: Buffer): boolean {
  return nonce.readUInt32BE(COUNTER_OFFSET) === 0 && isKnownFlag(nonce[FLAG_OFFSET]);
}

/** Whether `nonce` is frame `counter` of the blob with `prefix`; `last` tells its flag, `undefined` a bad one. */
export function readStrictNonce(nonce: Buffer, prefix: Buffer, counter: number): { last: boolean } | undefined {
  const flag = nonce[FLAG_OFFSET];
  const matches =
    nonce.compare(prefix, 0, NONCE_PREFIX_SIZE, 0, NONCE_PREFIX_SIZE) === 0 &&
    nonce.readUInt32BE(COUNTER_OFFSET) === counter &&
    isKnownFlag(flag);
  return matches ? { last: flag === LAST_FRAME_FLAG } : undefined;
}

function isKnownFlag(flag: number | undefined): boolean {
  return flag === LAST_FRAME_FLAG || flag === MIDDLE_FRAME_FLAG;
}
