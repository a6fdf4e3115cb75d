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
}

/** The upload body's media type; both drivers refuse a PUT that declares another one. */
export const OBJECT_CONTENT_TYPE = 'application/octet-stream';

/** S3 refuses presigned URLs that live longer than a week; both drivers share that ceiling. */
export const MAX_PRESIGN_EXPIRY_SEC = 604_800;

/**
 * What one S3 PUT can carry (5 GB); larger files would need multipart uploads, which do not exist
 * yet. The fs driver refuses larger bodies too, and the server's per-file limit is capped by it.
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
