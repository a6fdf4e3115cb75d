/** A request a client can make without credentials: the URL is the capability. */
export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send with the request (Content-Length is the client's own). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PresignPutOptions {
  /** When given, storage accepts exactly this many bytes and refuses any other length. */
  contentLength?: number;
  expiresInSec: number;
}

export interface PresignGetOptions {
  expiresInSec: number;
  /** Offered to the browser or client as the download's file name. */
  filename?: string;
}

/** Source of "now"; structurally compatible with the API's `Clock`. */
export interface StoreClock {
  now(): Date;
}

export const systemClock: StoreClock = { now: () => new Date() };

import type { CompletedPart, MultipartUploadInfo, PresignUploadPartOptions, UploadedPart } from './multipart';

/** One stored object as a listing reports it. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * The object-store port. Keys are `/`-separated segments of `[A-Za-z0-9._-]`
 * (see `assertValidKey`); every method rejects any other key.
 */
export interface ObjectStore {
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;
  presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest>;
  head(key: string): Promise<{ size: number } | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` and returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Every object whose key starts with `prefix` ('' = the whole store), fetched page by page as
   * the caller iterates. The order is the driver's (S3-compatible servers differ): do not rely on it.
   */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Readiness probe: throws when the store is unusable (bucket missing, directory unwritable). */
  ping(): Promise<void>;

  // ---- Multipart uploads (S3 semantics; refusals are MultipartUploadError, see multipart.ts) ----

  /** Starts an upload of `key` and returns its id. Nothing appears under `key` until completion. */
  createMultipartUpload(key: string): Promise<string>;
  /**
   * A URL that stores one part (a PUT of exactly `contentLength` bytes). Uploading the same part
   * number again replaces the part (last write wins) and changes its etag.
   */
  presignUploadPart(key: string, uploadId: string, options: PresignUploadPartOptions): Promise<PresignedRequest>;
  /** The parts storage holds for the upload, by ascending part number. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /**
   * Joins the named parts, in order, into the object `key` (replacing any object there) and ends
   * the upload; parts not named are discarded. Refused (the upload stays as it was) when a part is
   * missing or not in the named version, the list is out of order, or a part but the last is
   * shorter than 5 MiB.
   */
  completeMultipartUpload(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void>;
  /** Ends the upload and deletes its parts. Refused with NO_SUCH_UPLOAD when it does not exist. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** Uploads neither completed nor aborted whose key starts with `prefix` ('' = every upload). */
  listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo>;
}

/** The upload body's media type; both drivers refuse a PUT that declares another one. */
export const OBJECT_CONTENT_TYPE = 'application/octet-stream';

/** S3 refuses presigned URLs that live longer than a week; both drivers share that ceiling. */
export const MAX_PRESIGN_EXPIRY_SEC = 604_800;

/**
 * What one S3 PUT can carry (5 GB); larger objects take a multipart upload. The fs driver refuses
 * larger single PUTs too.
 */
export const MAX_SINGLE_PUT_BYTES = 5_000_000_000;

export function assertExpiresInSec(expiresInSec: number): void {
  if (!Number.isInteger(expiresInSec) || expiresInSec < 1 || expiresInSec > MAX_PRESIGN_EXPIRY_SEC) {
    throw new RangeError(`expiresInSec must be an integer from 1 to ${MAX_PRESIGN_EXPIRY_SEC}`);
  }
}

export function assertContentLength(contentLength: number | undefined): void {
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw new RangeError('contentLength must be a non-negative safe integer');
  }
}
