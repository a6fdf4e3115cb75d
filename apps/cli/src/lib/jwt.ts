/**
 * Expiry (seconds since the epoch) from a JWT's payload, or `undefined` when the token is not a
 * JWT or has no numeric `exp`. The signature is not checked: the client only uses this to refresh
 * ahead of time, and the server remains the judge of every token.
 */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (payload && typeof payload === 'object' && 'exp' in payload) {
      const exp = (payload).exp;
      return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
    }
  } catch {
    /* not a JWT */
  }
  return undefined;
}

/**
 * The subject (`sub`, the user id) of a JWT, unchecked like `jwtExpiry`: the account key wraps
 * bind the user id, so a wrong one only makes them fail to open.
 */
export function jwtSubject(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const sub = payload && typeof payload === 'object' && 'sub' in payload ? payload.sub : undefined;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Refresh this long before the access token expires, so a request never races the expiry. */
export const REFRESH_MARGIN_SEC = 60;

/** Whether `token` should be refreshed before use: expiring within the margin, or of unknown expiry. */
export function needsRefresh(token: string, nowMs: number, marginSec = REFRESH_MARGIN_SEC): boolean {
  const exp = jwtExpiry(token);
  if (exp === undefined) return false;
  return exp - nowMs / 1000 <= marginSec;
}
