import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { decodeJwtPart, login, registerVerified, signJwt, startAuthTestApp, whoami } from './auth.e2e-helpers';

const refresh = (t: TestApp, refresh_token: string, rotate?: boolean) =>
  call(t, 'POST', '/api/token/refresh', { body: rotate === undefined ? { refresh_token } : { refresh_token, rotate } });

describe('refresh tokens and access tokens', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  let n = 0;
  const newUser = () => registerVerified(t, `tokens-${++n}@example.com`);

  beforeAll(async () => {
    t = await startAuthTestApp({ clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('rotation', () => {
    it('rotate twice, reuse the first token after the overlap: 401, and the newest token is revoked too', async () => {
      const user = await newUser();
      const { refresh_token: first } = await login(t, user.email, user.password);

      const r1 = await refresh(t, first, true);
      expect(r1.status).toBe(200);
      expect(r1.body).toEqual({ access_token: expect.any(String), refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const r2 = await refresh(t, r1.body.refresh_token, true);
      expect(r2.status).toBe(200);
      const newest = r2.body.refresh_token;
      expect(new Set([first, r1.body.refresh_token, newest]).size).toBe(3);

      clock.advance(11);
      const reuse = await refresh(t, first);
      expect(reuse.status).toBe(401);
      expect(reuse.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });

      expect((await refresh(t, newest)).status).toBe(401);
      expect((await refresh(t, newest, true)).status).toBe(401);
    });

    it('serves a rotated-away token within the 10-second overlap (a lost response) with one live successor', async () => {
      const user = await newUser();
      const { refresh_token: first } = await login(t, user.email, user.password);
      const lost = (await refresh(t, first, true)).body.refresh_token;

      clock.advance(5);
      const retried = await refresh(t, first, true);
      expect(retried.status).toBe(200);
      expect(retried.body.refresh_token).not.toBe(lost);
      expect((await refresh(t, first)).status).toBe(200);

      clock.advance(20);
      // The lost successor and the retried original are both rotated away now; the retry's is current.
      expect((await refresh(t, retried.body.refresh_token, true)).status).toBe(200);
    });

    it('keeps a client that never rotates working with its one token, sliding the 14-day idle lifetime', async () => {
      const user = await newUser();
      const { refresh_token } = await login(t, user.email, user.password);

      // Day 20 is past the first idle expiry (day 14): each use pushed it forward.
      for (let i = 0; i < 2; i++) {
        clock.advance(10 * 24 * 3600);
        const res = await refresh(t, refresh_token);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ access_token: expect.any(String) });
      }
    });

    it('ends a session unused for 14 days, well inside its absolute lifetime', async () => {
      const user = await newUser();
      const { refresh_token } = await login(t, user.email, user.password);
      clock.advance(14 * 24 * 3600 + 1);
      expect((await refresh(t, refresh_token)).status).toBe(401);
    });

    it('ends a login at its absolute lifetime (30 days), however often it is used', async () => {
      const user = await newUser();
      let { refresh_token } = await login(t, user.email, user.password);
      for (let i = 0; i < 3; i++) {
        clock.advance(9 * 24 * 3600);
        const rotated = await refresh(t, refresh_token, true);
        expect(rotated.status).toBe(200);
        refresh_token = rotated.body.refresh_token;
      }
      clock.advance(4 * 24 * 3600);
      expect((await refresh(t, refresh_token)).status).toBe(401);
    });

    it('answers 401 for an unknown token and 400 for a malformed body', async () => {
      expect((await refresh(t, 'A'.repeat(43))).status).toBe(401);
      expect((await call(t, 'POST', '/api/token/refresh', { body: {} })).status).toBe(400);
      expect((await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: 'x', rotate: 'yes' } })).status).toBe(400);
    });
  });

  describe('access tokens on a protected route', () => {
    let user: { id: string };
    let valid: string;

    beforeAll(async () => {
      const registered = await newUser();
      user = registered;
      valid = (await login(t, registered.email, registered.password)).access_token;
    });

    it('accepts the genuine token', async () => {
      expect(await whoami(t, valid)).toMatchObject({ status: 200, body: { id: user.id } });
    });

    it.each<[string, () => string]>([
      ['a changed payload (another subject) with the original signature', () => {
        const [header, , signature] = valid.split('.');
        const payload = Buffer.from(JSON.stringify({ ...decodeJwtPart(valid, 1), sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      }],
      ['a changed payload (a later expiry) with the original signature', () => {
        const [header, , signature] = valid.split('.');
        const claims = decodeJwtPart(valid, 1);
        const payload = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      }],
      ['alg "none" without a signature', () => signJwt({ alg: 'none', typ: 'JWT' }, decodeJwtPart(valid, 1), undefined)],
      ['a signature made with another secret', () => signJwt({ alg: 'HS256', typ: 'JWT' }, decodeJwtPart(valid, 1), 'not-the-server-secret-but-32-chars-long')],
      ['another algorithm (HS512) with the right secret', () => signJwt({ alg: 'HS512', typ: 'JWT' }, decodeJwtPart(valid, 1), t.config.secrets.jwt, 'sha512')],
      ['another issuer', () => signJwt({ alg: 'HS256', typ: 'JWT' }, { ...decodeJwtPart(valid, 1), iss: 'hashdrop' }, t.config.secrets.jwt)],
      ['an expired token, correctly signed', () => {
        const now = Math.floor(clock.now().getTime() / 1000);
        return signJwt({ alg: 'HS256', typ: 'JWT' }, { sub: user.id, ver: 0, iat: now - 1000, exp: now - 100, iss: 'coffer' }, t.config.secrets.jwt);
      }],
      ['an older token version, correctly signed', () => signJwt({ alg: 'HS256', typ: 'JWT' }, { ...decodeJwtPart(valid, 1), ver: -1 }, t.config.secrets.jwt)],
      ['garbage', () => 'not.a.jwt'],
    ])('answers 401 for %s', async (_case, forge) => {
      const res = await whoami(t, forge());
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });
    });

    it('answers 401 without a bearer token, and for another scheme', async () => {
      expect((await call(t, 'GET', '/test/whoami')).status).toBe(401);
      expect((await call(t, 'GET', '/test/whoami', { headers: { Authorization: `Basic ${valid}` } })).status).toBe(401);
    });

    it('answers 401 once the genuine token has expired (15 minutes)', async () => {
      const registered = await newUser();
      const token = (await login(t, registered.email, registered.password)).access_token;
      clock.advance(899);
      expect((await whoami(t, token)).status).toBe(200);
      clock.advance(2);
      expect((await whoami(t, token)).status).toBe(401);
    });
  });
});
