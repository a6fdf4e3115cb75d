/** The few cookie rules the web session needs (RFC 6265), instead of a cookie-parser dependency. */

/** The value of cookie `name` in a `Cookie` header; undefined when absent or sent more than once. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1));
  // Two cookies of one name (e.g. one planted for a wider path) are ambiguous: trust neither.
  return values.length === 1 ? values[0] : undefined;
}

export interface CookieOptions {
  path: string;
  httpOnly: boolean;
  secure: boolean;
  /** 0 deletes the cookie. */
  maxAgeSeconds: number;
}

/** A `Set-Cookie` value; `value` must already be cookie-safe (base64url here). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.maxAgeSeconds === 0 ? ['Expires=Thu, 01 Jan 1970 00:00:00 GMT'] : []),
    ...(options.httpOnly ? ['HttpOnly'] : []),
    ...(options.secure ? ['Secure'] : []),
    'SameSite=Strict',
  ].join('; ');
}
