import { Inject, Injectable } from '@nestjs/common';
import { WEB_CSRF_COOKIE, WEB_REFRESH_COOKIE, WEB_SESSION_PATH } from '@coffer/contract';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccountService } from '../auth/account.service';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { serializeCookie } from './cookies';
import { csrfMatches, csrfTokenFor } from './csrf';

/** What a web-session request brings that the checks need (taken from the Express request). */
export interface WebRequest {
  refreshCookie: string | undefined;
  csrfHeader: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  fetchSite: string | undefined;
}

export interface WebSessionResult {
  accessToken: string;
  csrfToken: string;
  setCookies: string[];
}

/**
 * The owner web app's session on top of the refresh-token families of `tokens`: the refresh
 * token goes only into an httpOnly, SameSite=Strict cookie scoped to WEB_SESSION_PATH (Secure
 * outside development), and always rotates, so a stolen old cookie trips reuse detection.
 *
 * CSRF, three independent layers (any one stops a cross-site request on its own):
 * 1. SameSite=Strict: browsers do not attach the cookie to requests started by another site.
 * 2. Every route demands the X-Coffer-CSRF header. A cross-origin page cannot set a custom header
 *    without a CORS preflight, which this server never grants; for refresh and logout the value
 *    must also be HMAC(secret, refresh token) (signed double submit, compared in constant time),
 *    which only a script of this origin can read (from the coffer_web_csrf cookie or a response).
 * 3. A browser's Sec-Fetch-Site / Origin, when sent, must say same origin.
 * Login has no session to bind to yet; layers 2 (presence) and 3 stop login CSRF there.
 */
@Injectable()
export class WebSessionService {
  constructor(
    private readonly accounts: AccountService,
    private readonly refreshTokens: RefreshTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(req: WebRequest, email: string, password: string): Promise<WebSessionResult> {
    this.requireSameOrigin(req);
    if (!req.csrfHeader) throw csrfFailed();
    const tokens = await this.accounts.login(email, password);
    return this.issue(tokens.accessToken, tokens.refreshToken);
  }

  /** Rotates the cookie's refresh token (reuse of a rotated-away one revokes its login). */
  async refresh(req: WebRequest): Promise<WebSessionResult> {
    const token = this.requireCsrf(req);
    if (!token) throw new DomainError('INVALID_TOKEN', 'No web session: log in');
    const result = await this.refreshTokens.refresh(token, true);
    // rotate=true always answers a new refresh token; without one the old cookie would stay valid.
    if (!result.refreshToken) throw new DomainError('INVALID_TOKEN', 'Invalid, expired or revoked refresh token');
    return this.issue(result.accessToken, result.refreshToken);
  }

  /** Ends the login (its whole family, access tokens included) and clears the cookies. */
  async logout(req: WebRequest): Promise<string[]> {
    const token = this.requireCsrf(req);
    if (token) await this.refreshTokens.revoke(token);
    return this.clearCookies();
  }

  /**
   * The same-origin and CSRF-header checks of refresh and logout; the cookie's token if there is
   * one. Without a cookie there is nothing to bind the header to, and nothing to steal.
   */
  private requireCsrf(req: WebRequest): string | undefined {
    this.requireSameOrigin(req);
    if (!req.refreshCookie) {
      if (!req.csrfHeader) throw csrfFailed();
      return undefined;
    }
    if (!csrfMatches(this.config.secrets.refreshToken, req.refreshCookie, req.csrfHeader)) throw csrfFailed();
    return req.refreshCookie;
  }

  private requireSameOrigin(req: WebRequest): void {
    if (req.fetchSite !== undefined && req.fetchSite !== 'same-origin') throw csrfFailed();
    if (req.origin !== undefined && !this.isOwnOrigin(req.origin, req.host)) throw csrfFailed();
  }

  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    try {
      const url = new URL(origin);
      return url.origin === new URL(this.config.publicUrl).origin || (host !== undefined && url.host === host);
    } catch {
      return false;
    }
  }

  private issue(accessToken: string, refreshToken: string): WebSessionResult {
    const csrfToken = csrfTokenFor(this.config.secrets.refreshToken, refreshToken);
    const maxAgeSeconds = this.config.ttl.refreshTokenSeconds;
    const secure = this.config.env !== 'development';
    return {
      accessToken,
      csrfToken,
      setCookies: [
        serializeCookie(WEB_REFRESH_COOKIE, refreshToken, { path: WEB_SESSION_PATH, httpOnly: true, secure, maxAgeSeconds }),
        serializeCookie(WEB_CSRF_COOKIE, csrfToken, { path: '/', httpOnly: false, secure, maxAgeSeconds }),
      ],
    };
  }

  /** Set-Cookie values that delete both cookies. */
  clearCookies(): string[] {
    const secure = this.config.env !== 'development';
    return [
      serializeCookie(WEB_REFRESH_COOKIE, '', { path: WEB_SESSION_PATH, httpOnly: true, secure, maxAgeSeconds: 0 }),
      serializeCookie(WEB_CSRF_COOKIE, '', { path: '/', httpOnly: false, secure, maxAgeSeconds: 0 }),
    ];
  }
}

function csrfFailed(): DomainError {
  return new DomainError('CSRF_FAILED', 'Web-session request refused: missing or wrong X-Coffer-CSRF header, or sent from another site');
}
