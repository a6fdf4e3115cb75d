/** S3's multipart limits; both drivers enforce them, so a layout that works on one works on the other. */
export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10_000;
/** Every part but the last must be at least this long (5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** No part may be longer (5 GiB). */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** No multipart object may be larger (5 TiB). */
export const MAX_MULTIPART_OBJECT_BYTES = 5 * 1024 * 1024 * 1024 * 1024;

/** One part as storage holds it. */
export interface UploadedPart {
  partNumber: number;
  size: number;
  /** Opaque; changes whenever the part is uploaded again with other bytes. */
  etag: string;
}

/** One part named in a completion: the etag is the version of the part the caller means. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** A multipart upload that was created and neither completed nor aborted. */
export interface MultipartUploadInfo {
  key: string;
  uploadId: string;
  initiatedAt: Date;
}

export interface PresignUploadPartOptions {
  partNumber: number;
  /** Storage accepts exactly this many bytes for the part and refuses any other length. */
  contentLength: number;
  expiresInSec: number;
}

export type MultipartErrorCode =
  /** A part number outside 1..10,000. */
  | 'PART_NUMBER_OUT_OF_RANGE'
  /** A part longer than 5 GiB. */
  | 'PART_TOO_LARGE'
  /** A part other than the last shorter than 5 MiB. */
  | 'PART_TOO_SMALL'
  /** More than 10,000 parts. */
  | 'TOO_MANY_PARTS'
  /** An object larger than 5 TiB. */
  | 'OBJECT_TOO_LARGE'
  /** A completion naming no part, or parts not in strictly ascending order. */
  | 'INVALID_PART_LIST'
  /** A completion naming a part storage does not hold, or not in the version (etag) named. */
  | 'INVALID_PART'
  /** The upload does not exist (never did, was completed or aborted) or belongs to another key. */
  | 'NO_SUCH_UPLOAD';

/** Every refusal of a multipart call, by the port's own checks or by storage, in one typed form. */
export class MultipartUploadError extends Error {
  override readonly name = 'MultipartUploadError';
  constructor(
    readonly code: MultipartErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < MIN_PART_NUMBER || partNumber > MAX_PART_NUMBER) {
    throw new MultipartUploadError('PART_NUMBER_OUT_OF_RANGE', `part numbers run from ${MIN_PART_NUMBER} to ${MAX_PART_NUMBER}`);
  }
}

/** A part's own length; whether it may be shorter than 5 MiB is only known at completion. */
export function assertPartLength(contentLength: number): void {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    throw new RangeError('contentLength must be a non-negative safe integer');
  }
  if (contentLength > MAX_PART_BYTES) {
    throw new MultipartUploadError('PART_TOO_LARGE', `a part may be at most ${MAX_PART_BYTES} bytes`);
  }
}

/** Checks a completion's part list before storage is asked: 1..10,000 parts in strictly ascending order. */
export function assertCompletedParts(parts: readonly CompletedPart[]): void {
  if (parts.length === 0) {
    throw new MultipartUploadError('INVALID_PART_LIST', 'a completion names at least one part');
  }
  if (parts.length > MAX_PART_NUMBER) {
    throw new MultipartUploadError('TOO_MANY_PARTS', `an object has at most ${MAX_PART_NUMBER} parts`);
  }
  let previous = 0;
  for (const part of parts) {
    assertPartNumber(part.partNumber);
    if (part.partNumber <= previous) {
      throw new MultipartUploadError('INVALID_PART_LIST', 'parts must be listed in strictly ascending order');
    }
    if (typeof part.etag !== 'string' || part.etag.length === 0) {
      throw new MultipartUploadError('INVALID_PART', `part ${part.partNumber} has no etag`);
    }
    previous = part.partNumber;
  }
}

/** Checks the sizes of an object's parts, in order: what storage refuses at completion. */
export function assertPartSizes(sizes: readonly number[]): void {
  if (sizes.length > MAX_PART_NUMBER) {
    throw new MultipartUploadError('TOO_MANY_PARTS', `an object has at most ${MAX_PART_NUMBER} parts`);
  }
  let total = 0;
  sizes.forEach((size, index) => {
    assertPartLength(size);
    if (index < sizes.length - 1 && size < MIN_PART_BYTES) {
      throw new MultipartUploadError('PART_TOO_SMALL', `every part but the last must be at least ${MIN_PART_BYTES} bytes`);
    }
    total += size;
  });
  if (total > MAX_MULTIPART_OBJECT_BYTES) {
    throw new MultipartUploadError('OBJECT_TOO_LARGE', `a multipart object may be at most ${MAX_MULTIPART_OBJECT_BYTES} bytes`);
  }
}

/**
 * How many parts an object of `totalBytes` cut into parts of `partBytes` (the last one shorter)
 * takes, or a MultipartUploadError when S3 would refuse that layout. For callers that plan an
 * upload before creating it.
 */
export function partCountFor(totalBytes: number, partBytes: number): number {
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) {
    throw new RangeError('totalBytes must be a positive safe integer');
  }
  if (!Number.isSafeInteger(partBytes) || partBytes < 1) {
    throw new RangeError('partBytes must be a positive safe integer');
  }
  if (totalBytes > MAX_MULTIPART_OBJECT_BYTES) {
    throw new MultipartUploadError('OBJECT_TOO_LARGE', `a multipart object may be at most ${MAX_MULTIPART_OBJECT_BYTES} bytes`);
  }
  const count = Math.ceil(totalBytes / partBytes);
  if (count > 1 && partBytes < MIN_PART_BYTES) {
    throw new MultipartUploadError('PART_TOO_SMALL', `every part but the last must be at least ${MIN_PART_BYTES} bytes`);
  }
  if (partBytes > MAX_PART_BYTES && totalBytes > MAX_PART_BYTES) {
    throw new MultipartUploadError('PART_TOO_LARGE', `a part may be at most ${MAX_PART_BYTES} bytes`);
  }
  if (count > MAX_PART_NUMBER) {
    throw new MultipartUploadError('TOO_MANY_PARTS', `an object has at most ${MAX_PART_NUMBER} parts`);
  }
  return count;
}

const UPLOAD_ID = /^[A-Za-z0-9._~+/=-]{1,1024}$/;

/** Upload ids are opaque to callers; one that no driver could have made names no upload. */
export function assertUploadId(uploadId: string): void {
  if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) {
    throw new MultipartUploadError('NO_SUCH_UPLOAD', 'no such multipart upload');
  }
}
