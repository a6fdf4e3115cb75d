import type { AppConfig } from '../../config/app-config';
import type { AccountService } from '../auth/account.service';
import type { RefreshTokenService } from '../tokens/refresh-token.service';
import { csrfMatches, csrfTokenFor } from './csrf';
import { readCookie } from './cookies';
import { WebSessionService, type WebRequest } from './web-session.service';

const SECRET = 'refresh-secret-for-the-unit-test';

function service(env: AppConfig['env']) {
  const accounts = { login: jest.fn().mockResolvedValue({ accessToken: 'access', refreshToken: 'refresh-token' }) };
  const refreshTokens = { refresh: jest.fn(), revoke: jest.fn() };
  const config = { env, publicUrl: 'https://coffer.example', secrets: { refreshToken: SECRET }, ttl: { refreshTokenSeconds: 3600 } } as unknown as AppConfig;
  return {
    sessions: new WebSessionService(accounts as unknown as AccountService, refreshTokens as unknown as RefreshTokenService, config),
    refreshTokens,
  };
}

const request = (overrides: Partial<WebRequest> = {}): WebRequest => ({
  refreshCookie: undefined,
  csrfHeader: '1',
  origin: undefined,
  host: 'coffer.example',
  fetchSite: undefined,
  ...overrides,
});

describe('WebSessionService', () => {
  it('sets Secure outside development only', async () => {
    for (const [env, secure] of [['production', true], ['test', true], ['development', false]] as const) {
      const { setCookies } = await service(env).sessions.login(request(), 'a@example.com', 'password');
      expect(setCookies.every((line) => line.includes('; Secure') === secure)).toBe(true);
    }
  });

  it('accepts the own origin (PUBLIC_URL or Host) and refuses any other, and any Sec-Fetch-Site but same-origin', async () => {
    const { sessions } = service('production');
    await expect(sessions.login(request({ origin: 'https://coffer.example', fetchSite: 'same-origin' }), 'a@example.com', 'p')).resolves.toBeDefined();
    for (const bad of [{ origin: 'https://evil.example' }, { origin: 'null' }, { fetchSite: 'same-site' }, { fetchSite: 'none' }, { csrfHeader: undefined }]) {
      await expect(sessions.login(request(bad), 'a@example.com', 'p')).rejects.toMatchObject({ code: 'CSRF_FAILED' });
    }
  });

  it('refuses refresh and logout whose header is not the HMAC of the cookie, before the token is used', async () => {
    const { sessions, refreshTokens } = service('production');
    const cookie = 'refresh-token';
    await expect(sessions.refresh(request({ refreshCookie: cookie, csrfHeader: csrfTokenFor(SECRET, 'another token') }))).rejects.toMatchObject({ code: 'CSRF_FAILED' });
    await expect(sessions.logout(request({ refreshCookie: cookie, csrfHeader: undefined }))).rejects.toMatchObject({ code: 'CSRF_FAILED' });
    expect(refreshTokens.refresh).not.toHaveBeenCalled();
    expect(refreshTokens.revoke).not.toHaveBeenCalled();
    expect(csrfMatches(SECRET, cookie, csrfTokenFor(SECRET, cookie))).toBe(true);
    expect(csrfMatches('another secret', cookie, csrfTokenFor(SECRET, cookie))).toBe(false);
  });

  it('reads a cookie only when it is sent once', () => {
    expect(readCookie('a=1; coffer_web_refresh=x; b=2', 'coffer_web_refresh')).toBe('x');
    expect(readCookie('coffer_web_refresh=x; coffer_web_refresh=y', 'coffer_web_refresh')).toBeUndefined();
    expect(readCookie(undefined, 'coffer_web_refresh')).toBeUndefined();
  });
});
