/** Constants of the blob format (docs/FORMAT.md, "Frames" and "Structured nonce"); libs/crypto/src/format/blob.ts in Node. */
export const CHUNK_SIZE = 65_536;
export const NONCE_SIZE = 12;
export const NONCE_PREFIX_SIZE = 7;
export const TAG_SIZE = 16;
export const HEADER_SIZE = NONCE_SIZE + 4;
export const FRAME_OVERHEAD = HEADER_SIZE + TAG_SIZE;
export const MIN_BODY_SIZE = TAG_SIZE;
export const MAX_BODY_SIZE = CHUNK_SIZE + TAG_SIZE;
export const KEY_SIZE = 32;

export const LAST_FRAME_FLAG = 0x01;
export const MIDDLE_FRAME_FLAG = 0x00;

export function counterOf(nonce: Uint8Array): number {
  return new DataView(nonce.buffer, nonce.byteOffset, NONCE_SIZE).getUint32(NONCE_PREFIX_SIZE, false);
}

export function flagOf(nonce: Uint8Array): number {
  return nonce[NONCE_SIZE - 1];
}

export function isKnownFlag(flag: number): boolean {
  return flag === LAST_FRAME_FLAG || flag === MIDDLE_FRAME_FLAG;
}

/** Plaintext size a blob of `blobBytes` holds when it is well formed (for progress before the end). */
export function plaintextSizeOf(blobBytes: number): number {
  const frames = Math.max(1, Math.ceil(blobBytes / (CHUNK_SIZE + FRAME_OVERHEAD)));
  return Math.max(0, blobBytes - frames * FRAME_OVERHEAD);
}
