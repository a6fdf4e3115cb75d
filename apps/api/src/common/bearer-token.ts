import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `authorization` is `Bearer <expected>` (the admin and metrics tokens). Both sides are
 * hashed first, so the comparison takes the same time whatever the length or content of the guess.
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string | undefined): boolean {
  if (!expected) return false;
  const sent = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(sha256(sent), sha256(expected));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
