import { TestApp } from '../../../../test/helpers/test-app';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { registerVerified, Registered, startAuthTestApp } from './auth.e2e-helpers';

/** The cookies a browser would keep: name → value, as the server's Set-Cookie lines leave them. */
type Jar = Map<string, string>;

interface WebAnswer {
  status: number;
  body: any;
  setCookies: string[];
}

describe('web session (cookie refresh token, CSRF)', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  let n = 0;
  const newUser = () => registerVerified(t, `web-${++n}@example.com`);

  beforeAll(async () => {
    t = await startAuthTestApp({ clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  async function send(method: string, path: string, jar: Jar, headers: Record<string, string>, body?: unknown): Promise<WebAnswer> {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: {
        ...(cookie ? { Cookie: cookie } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attributes.includes('Max-Age=0')) jar.delete(name);
      else jar.set(name, value);
    }
    return { status: res.status, body: text ? JSON.parse(text) : undefined, setCookies };
  }

  const login = (user: Registered, jar: Jar, headers: Record<string, string> = { 'X-Coffer-CSRF': '1' }) =>
    send('POST', '/api/web/session', jar, headers, { email: user.email, password: user.password });
  const refresh = (jar: Jar, csrf: string | undefined) => send('POST', '/api/web/session/refresh', jar, csrf === undefined ? {} : { 'X-Coffer-CSRF': csrf });
  const logout = (jar: Jar, csrf: string | undefined) => send('DELETE', '/api/web/session', jar, csrf === undefined ? {} : { 'X-Coffer-CSRF': csrf });
  const usage = async (accessToken: string) =>
    (await fetch(`${t.baseUrl}/api/user/usage`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;

  async function loggedIn(): Promise<{ user: Registered; jar: Jar; accessToken: string; csrf: string }> {
    const user = await newUser();
    const jar: Jar = new Map();
    const res = await login(user, jar);
    expect(res.status).toBe(200);
    return { user, jar, accessToken: res.body.access_token, csrf: res.body.csrf_token };
  }

  it('login: the refresh token only in an httpOnly, Secure, SameSite=Strict cookie on the web-session path', async () => {
    const user = await newUser();
    const jar: Jar = new Map();
    const res = await login(user, jar);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const refreshLine = res.setCookies.find((line) => line.startsWith('coffer_web_refresh='));
    const csrfLine = res.setCookies.find((line) => line.startsWith('coffer_web_csrf='));
    const attributes = (line: string | undefined) => (line ?? '').split('; ').slice(1).sort();
    expect(attributes(refreshLine)).toEqual(['HttpOnly', `Max-Age=${t.config.ttl.refreshTokenSeconds}`, 'Path=/api/web/session', 'SameSite=Strict', 'Secure']);
    expect(attributes(csrfLine)).toEqual([`Max-Age=${t.config.ttl.refreshTokenSeconds}`, 'Path=/', 'SameSite=Strict', 'Secure']);
    expect(jar.get('coffer_web_refresh')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jar.get('coffer_web_csrf')).toBe(res.body.csrf_token);
    expect(JSON.stringify(res.body)).not.toContain(jar.get('coffer_web_refresh'));
    expect(await usage(res.body.access_token)).toBe(200);
  });

  it('login without the CSRF header, from another site or another origin: 403 CSRF_FAILED, no cookie, no session', async () => {
    const user = await newUser();
    const refused: Record<string, string>[] = [{}, { 'X-Coffer-CSRF': '1', 'Sec-Fetch-Site': 'cross-site' }, { 'X-Coffer-CSRF': '1', Origin: 'https://evil.example' }];
    for (const headers of refused) {
      const jar: Jar = new Map();
      const res = await login(user, jar, headers);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: expect.any(String), code: 'CSRF_FAILED' });
      expect(jar.size).toBe(0);
    }
    const sameOrigin = await login(user, new Map(), { 'X-Coffer-CSRF': '1', 'Sec-Fetch-Site': 'same-origin', Origin: t.baseUrl });
    expect(sameOrigin.status).toBe(200);
  });

  it('refresh rotates the cookie and the CSRF token; the new access token works', async () => {
    const { jar, csrf } = await loggedIn();
    const before = jar.get('coffer_web_refresh');
    const res = await refresh(jar, csrf);
    expect(res.status).toBe(200);
    expect(jar.get('coffer_web_refresh')).not.toBe(before);
    expect(res.body.csrf_token).not.toBe(csrf);
    expect(jar.get('coffer_web_csrf')).toBe(res.body.csrf_token);
    expect(await usage(res.body.access_token)).toBe(200);
    expect((await refresh(jar, res.body.csrf_token)).status).toBe(200);
  });

  it('refresh without the CSRF header, with a wrong one or another session’s: 403 and the session is untouched', async () => {
    const { jar, csrf } = await loggedIn();
    const other = await loggedIn();
    const cookie = jar.get('coffer_web_refresh');
    for (const header of [undefined, '', 'x'.repeat(43), other.csrf, csrf.slice(0, -1)]) {
      const res = await refresh(jar, header);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('CSRF_FAILED');
      expect(jar.get('coffer_web_refresh')).toBe(cookie);
    }
    // Not rotated by the refusals: the one cookie still refreshes, and only once rotated away
    // would its reuse count as theft.
    expect((await refresh(jar, csrf)).status).toBe(200);
  });

  it('a rotated-away cookie presented after the overlap revokes the login: 401, cookies cleared, the newest dead too', async () => {
    const { jar, csrf } = await loggedIn();
    const stolen = new Map(jar);
    const rotated = await refresh(jar, csrf);
    expect(rotated.status).toBe(200);
    clock.advance(11);
    const reuse = await refresh(stolen, csrf);
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('INVALID_TOKEN');
    expect(stolen.size).toBe(0);
    expect((await refresh(jar, rotated.body.csrf_token)).status).toBe(401);
    expect(await usage(rotated.body.access_token)).toBe(401);
  });

  it('logout ends the login (access token too) and clears both cookies; the old cookie no longer refreshes', async () => {
    const { jar, csrf, accessToken } = await loggedIn();
    const kept = new Map(jar);
    const res = await logout(jar, csrf);
    expect(res.status).toBe(204);
    expect(res.setCookies.map((line) => line.split('=')[0]).sort()).toEqual(['coffer_web_csrf', 'coffer_web_refresh']);
    expect(jar.size).toBe(0);
    expect(await usage(accessToken)).toBe(401);
    const again = await refresh(kept, csrf);
    expect(again.status).toBe(401);
  });

  it('logout without the CSRF token is refused and ends nothing (no forced logout)', async () => {
    const { jar, accessToken, csrf } = await loggedIn();
    const res = await logout(jar, undefined);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('CSRF_FAILED');
    expect(await usage(accessToken)).toBe(200);
    expect((await refresh(jar, csrf)).status).toBe(200);
  });

  it('refresh without a cookie: 401; logout without a cookie: 204', async () => {
    expect((await refresh(new Map(), 'anything')).status).toBe(401);
    expect((await logout(new Map(), 'anything')).status).toBe(204);
  });

  it('the refresh cookie is not accepted by the CLI refresh route as a cookie (only by /api/web/session)', async () => {
    const { jar } = await loggedIn();
    const res = await send('POST', '/api/token/refresh', jar, {}, {});
    expect(res.status).toBe(400);
  });
});
