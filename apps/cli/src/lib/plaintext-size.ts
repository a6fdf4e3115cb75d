import { blobSize } from '@coffer/crypto';

const CHUNK = 65_536;
const FRAME_OVERHEAD = 32;

/**
 * The plaintext size of a blob of `storedBytes`, from the frame layout every Coffer and Hashdrop
 * blob has (64 KiB chunks, only the last one shorter, 32 bytes per frame: docs/FORMAT.md). The layout
 * makes the inverse of `blobSize` exact; a size no plaintext can give (e.g. 0, a pending upload) is
 * `undefined`.
 */
export function plaintextSizeOf(storedBytes: number): number | undefined {
  if (!Number.isSafeInteger(storedBytes) || storedBytes < FRAME_OVERHEAD) return undefined;
  const frames = Math.ceil(storedBytes / (CHUNK + FRAME_OVERHEAD));
  const plaintext = storedBytes - FRAME_OVERHEAD * frames;
  try {
    return blobSize(plaintext) === storedBytes ? plaintext : undefined;
  } catch {
    return undefined;
  }
}
