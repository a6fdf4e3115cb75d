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
