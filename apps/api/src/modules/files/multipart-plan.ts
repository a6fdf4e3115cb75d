import { MAX_MULTIPART_PARTS, MULTIPART_FRAME_BYTES } from '@coffer/contract';
import { MAX_PART_BYTES, MIN_PART_BYTES, partCountFor } from '@coffer/storage';

/** How a multipart upload of `size` bytes is cut (docs/API.md "Multipart uploads"). */
export interface MultipartPlan {
  partSize: number;
  partCount: number;
  lastPartSize: number;
}

/**
 * Parts of `partFrames` whole encrypted frames, more frames per part when the file would
 * otherwise need more than 10,000 parts. Whole frames let a client encrypt any part on its own.
 * Throws the storage port's MultipartUploadError when S3 could not take the layout (over 5 TiB).
 */
export function planMultipart(size: number, partFrames: number): MultipartPlan {
  const frames = Math.ceil(size / MULTIPART_FRAME_BYTES);
  const framesPerPart = Math.max(partFrames, Math.ceil(frames / MAX_MULTIPART_PARTS));
  const partSize = framesPerPart * MULTIPART_FRAME_BYTES;
  if (partSize < MIN_PART_BYTES || partSize > MAX_PART_BYTES) throw new RangeError(`a part of ${framesPerPart} frames is outside S3's part sizes`);
  const partCount = partCountFor(size, partSize);
  return { partSize, partCount, lastPartSize: size - (partCount - 1) * partSize };
}

/** The exact size of part `partNumber` (1-based) of a plan. */
export function partSizeOf(plan: { partSize: number; partCount: number; declaredSize: number }, partNumber: number): number {
  return partNumber < plan.partCount ? plan.partSize : plan.declaredSize - (plan.partCount - 1) * plan.partSize;
}
