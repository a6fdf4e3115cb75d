import { createHmac, timingSafeEqual } from 'node:crypto';

const CSRF_LABEL = 'coffer/v1/web-csrf';

/**
 * The CSRF token of a web session: HMAC-SHA256(refresh-token secret, label || refresh token),
 * base64url. It is bound to the httpOnly refresh cookie it goes with, so a cookie planted by a
 * sibling subdomain, or a token read from another session, proves nothing, and the server keeps
 * no state for it.
 */
export function csrfTokenFor(secret: string, refreshToken: string): string {
  return createHmac('sha256', secret).update(CSRF_LABEL).update('\0').update(refreshToken).digest('base64url');
}

/** Constant-time: the presented header against the token of the presented refresh cookie. */
export function csrfMatches(secret: string, refreshToken: string, presented: string | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(secret, refreshToken));
  const given = Buffer.from(presented);
  // Lengths are public (every token has 43 characters); only equal lengths reach the compare.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
