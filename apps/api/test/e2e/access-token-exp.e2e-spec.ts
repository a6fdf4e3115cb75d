import { JwtService } from '@nestjs/jwt';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { createVerifiedUser } from '../../../../test/helpers/users';

describe('access tokens must carry exp', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(() => t?.close());

  it('refuses a correctly signed token without exp, which would otherwise never expire', async () => {
    const alice = await createVerifiedUser(t);
    const jwt = t.app.get(JwtService);
    const claims = jwt.decode<Record<string, unknown>>(alice.accessToken);
    expect(claims.exp).toEqual(expect.any(Number));
    delete claims.exp;
    const forever = jwt.sign(claims, { algorithm: 'HS256', secret: t.config.secrets.jwt });

    expect((await call(t, 'GET', '/api/files/all', { user: alice })).status).toBe(200);
    expect(await call(t, 'GET', '/api/files/all', { headers: { Authorization: `Bearer ${forever}` } })).toMatchObject({
      status: 401,
      body: { code: 'INVALID_TOKEN' },
    });
  });
});
