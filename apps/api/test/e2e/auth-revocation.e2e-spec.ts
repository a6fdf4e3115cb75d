import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { decodeJwtPart, login, registerVerified, signJwt, startAuthTestApp, whoami } from './auth.e2e-helpers';

const refresh = (t: TestApp, refresh_token: string, rotate?: boolean) =>
  call(t, 'POST', '/api/token/refresh', { body: rotate === undefined ? { refresh_token } : { refresh_token, rotate } });

describe('revoking a login ends its access tokens at once', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  let n = 0;
  const newUser = () => registerVerified(t, `revocation-${++n}@example.com`);

  beforeAll(async () => {
    t = await startAuthTestApp({ clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('logout (POST /api/token/revoke): the access tokens of that login answer 401, another login of the same user still works', async () => {
    const user = await newUser();
    const ended = await login(t, user.email, user.password);
    const other = await login(t, user.email, user.password);
    const refreshed = (await refresh(t, ended.refresh_token)).body.access_token as string;
    expect((await whoami(t, ended.access_token)).status).toBe(200);

    expect((await call(t, 'POST', '/api/token/revoke', { body: { refresh_token: ended.refresh_token } })).status).toBe(204);

    for (const token of [ended.access_token, refreshed]) {
      const res = await whoami(t, token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });
    }
    expect(await whoami(t, other.access_token)).toMatchObject({ status: 200, body: { id: user.id } });
  });

  it('refresh-token reuse revokes the family: its access tokens answer 401 at once', async () => {
    const user = await newUser();
    const session = await login(t, user.email, user.password);
    const rotated = await refresh(t, session.refresh_token, true);
    expect(rotated.status).toBe(200);
    const thiefsAccess = rotated.body.access_token as string;
    expect((await whoami(t, thiefsAccess)).status).toBe(200);

    clock.advance(11);
    expect((await refresh(t, session.refresh_token)).status).toBe(401);

    expect((await whoami(t, thiefsAccess)).status).toBe(401);
    expect((await whoami(t, session.access_token)).status).toBe(401);
  });

  it('access tokens name their login with a "sid" claim (the refresh-token family)', async () => {
    const user = await newUser();
    const first = decodeJwtPart((await login(t, user.email, user.password)).access_token, 1);
    const second = decodeJwtPart((await login(t, user.email, user.password)).access_token, 1);
    expect(first.sid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.sid).not.toBe(first.sid);
  });

  describe('correctly signed tokens with bad claims answer 401, never 500', () => {
    let valid: Record<string, unknown>;

    beforeAll(async () => {
      const user = await newUser();
      valid = decodeJwtPart((await login(t, user.email, user.password)).access_token, 1);
    });

    it.each<[string, () => Record<string, unknown>]>([
      ['a subject that is not a UUID', () => ({ ...valid, sub: 'not-a-uuid' })],
      ['a subject with a NUL byte', () => ({ ...valid, sub: `${valid.sub as string}\u0000` })],
      ['a sid that is not a UUID', () => ({ ...valid, sid: 'not-a-uuid' })],
      ['an unknown sid', () => ({ ...valid, sid: '00000000-0000-4000-8000-000000000000' })],
      ['no sid (a token issued before logins were named)', () => {
        const { sid: _sid, ...rest } = valid;
        return rest;
      }],
    ])('%s', async (_case, claims) => {
      const res = await whoami(t, signJwt({ alg: 'HS256', typ: 'JWT' }, claims(), t.config.secrets.jwt));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });
    });
  });
});
