import { createHmac } from 'node:crypto';

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
/** S3's own limit on key length, in UTF-8 bytes (keys here are ASCII). */
const MAX_KEY_LENGTH = 1024;

export function isValidKeySegment(segment: string): boolean {
  return SEGMENT.test(segment) && segment !== '.' && segment !== '..';
}

/**
 * A key is one or more `/`-separated segments of `[A-Za-z0-9._-]`, none of them `.` or `..`.
 * This keeps keys portable between S3 and a filesystem and makes path traversal impossible.
 */
export function assertValidKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !key.split('/').every(isValidKeySegment)) {
    throw new InvalidObjectKeyError(`invalid object key: ${JSON.stringify(key.slice(0, 100))}`);
  }
}

/**
 * A prefix is a key, optionally followed by `/`, or cut inside its last segment
 * (`usrh-aaaa/`, `usrh-`). It is never empty: one bad argument must not wipe a whole store.
 */
export function assertValidPrefix(prefix: string): void {
  const segments = prefix.split('/');
  const last = segments.pop() ?? '';
  const valid =
    prefix.length > 0 &&
    prefix.length <= MAX_KEY_LENGTH &&
    segments.every(isValidKeySegment) &&
    (last === '' || SEGMENT.test(last));
  if (!valid) {
    throw new InvalidObjectKeyError(`invalid key prefix: ${JSON.stringify(prefix.slice(0, 100))}`);
  }
}

// ---- The server's key layout: `usrh-<32 hex>/<file id>` ----
// Everything that builds or takes apart a key of a user's file lives here, so the layout is
// written once: the upload (presign), the share link (`/files/download/<key>`), account deletion
// (the owner's prefix) and the development reset (every key).

/** The first characters of every key the server writes; the development reset deletes them all. */
export const OWNER_HASH_MARKER = 'usrh-';

/** The first segment of object keys and share links, as `ownerHash` makes it. */
export const OWNER_HASH_PATTERN = /^usrh-[0-9a-f]{32}$/;

/**
 * `usrh-<32 hex>`: the storage folder of one user, HMAC-SHA256(USER_ID_HASH_SECRET, user id)
 * cut to 16 bytes. It is also the first segment of share links, so it must not reveal the id.
 */
export function ownerHash(userIdHashSecret: string, userId: string): string {
  return `${OWNER_HASH_MARKER}${createHmac('sha256', userIdHashSecret).update(userId).digest('hex').slice(0, 32)}`;
}

/** `usrh-<32 hex>/`: every object of one user, and nothing of another (the slash ends the hash). */
export function ownerKeyPrefix(userIdHashSecret: string, userId: string): string {
  return `${ownerHash(userIdHashSecret, userId)}/`;
}

/** The key of one file's object. */
export function fileObjectKey(owner: string, fileId: string): string {
  return `${owner}/${fileId}`;
}

/**
 * The key a share link's two segments name, or undefined when the owner hash is not one the
 * server makes (the file id is checked by the caller, which knows its own id format).
 */
export function sharedObjectKey(owner: string, fileId: string): string | undefined {
  return OWNER_HASH_PATTERN.test(owner) ? fileObjectKey(owner, fileId) : undefined;
}
