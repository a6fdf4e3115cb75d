/**
 * The browser session of the owner web app (`/api/web/session*`, [ext], docs/API.md): the refresh
 * token lives only in an httpOnly cookie scoped to these routes; the page keeps the access token
 * in memory and proves each cookie-carrying request with the CSRF header.
 */

/** The header every `/api/web/session*` request carries (the CSRF proof). */
export const WEB_CSRF_HEADER = 'X-Coffer-CSRF';
/** The httpOnly refresh-token cookie, sent only to `WEB_SESSION_PATH`. */
export const WEB_REFRESH_COOKIE = 'coffer_web_refresh';
/** The readable CSRF cookie (Path=/): the page copies it into `WEB_CSRF_HEADER` after a reload. */
export const WEB_CSRF_COOKIE = 'coffer_web_csrf';
export const WEB_SESSION_PATH = '/api/web/session';

/** `POST /api/web/session` (login) and `POST /api/web/session/refresh`. */
export interface WebSessionResponse {
  access_token: string;
  /** The value for `X-Coffer-CSRF` on the next refresh and on logout (also in the CSRF cookie). */
  csrf_token: string;
}
