/** Metadata key `@RateLimit` sets and `RateLimitGuard` reads. */
export const RATE_LIMIT_GROUP = 'coffer:rate-limit-group';

/**
 * Every rate-limited endpoint group and its limit, in one table. A route opts in with
 * `@RateLimit('<group>')` and is then held to that group's limit only.
 *
 * - `key: 'ip'` groups are public routes, counted per client address (`req.ip`, which honours
 *   TRUST_PROXY; IPv6 addresses are counted per /64).
 * - `key: 'user'` groups are bearer routes, counted per authenticated user, so users behind one
 *   NAT do not share a budget. `AccessTokenGuard` must run before the limit (see `RateLimit`).
 *
 * Routes of one group share one budget per client: five logins and five more logins from the
 * same address count against the same ten.
 */
export const RATE_LIMIT_GROUPS = {
  // Accounts and sessions. Registration and resend send mail, so they are the tightest.
  register: { key: 'ip', limit: 5, windowSeconds: 15 * 60 },
  resend: { key: 'ip', limit: 5, windowSeconds: 15 * 60 },
  verify: { key: 'ip', limit: 10, windowSeconds: 15 * 60 },
  /** Every route that checks a password (login, `DELETE /api/user`): one budget of guesses per client. */
  login: { key: 'ip', limit: 10, windowSeconds: 60 },
  refresh: { key: 'ip', limit: 120, windowSeconds: 60 },

  // Files. Presign and complete have separate budgets, so a fast upload is never refused at complete.
  presign: { key: 'user', limit: 120, windowSeconds: 60 },
  complete: { key: 'user', limit: 240, windowSeconds: 60 },
  /** Authenticated file reads and deletes (list, resolve, info, salt, hash, delete, usage). */
  files: { key: 'user', limit: 600, windowSeconds: 60 },
  /** The account keys (`/api/keys`): read once per device unlock, written on password changes. */
  keys: { key: 'user', limit: 60, windowSeconds: 60 },
  /** The public download and meta links (the per-file daily download limit is separate). */
  download: { key: 'ip', limit: 60, windowSeconds: 60 },
} as const satisfies Record<string, RateLimitRule>;

/**
 * Password checks per account (e-mail address), whatever the client address and whichever route
 * checks it (login, `DELETE /api/user`): guesses spread over many addresses still meet one budget.
 */
export const ACCOUNT_PASSWORD_BUDGET = { limit: 10, windowSeconds: 60 } as const;

export interface RateLimitRule {
  /** Whom the budget belongs to: the client address, or the authenticated user. */
  key: 'ip' | 'user';
  /** Requests allowed per window. */
  limit: number;
  /** Sliding window; a client over the limit is refused for one window. */
  windowSeconds: number;
}

export type RateLimitGroup = keyof typeof RATE_LIMIT_GROUPS;
