import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { createVerifiedUser } from '../../../../test/helpers/users';
import { uploadFile } from './files.e2e-helpers';

const ADMIN_TOKEN = 'a-test-admin-token-'.padEnd(40, '0');

/** A user with a stored file, and a check that both survived a refused reset. */
async function somethingToWipe(t: TestApp): Promise<() => Promise<void>> {
  const alice = await createVerifiedUser(t);
  const { key } = await uploadFile(t, alice, { size: 20 });
  return async () => {
    expect(await t.database.prisma.user.findUnique({ where: { id: alice.id } })).not.toBeNull();
    expect(await t.store.head(key)).toEqual({ size: 20 });
  };
}

describe('DELETE /admin/reset needs the admin token', () => {
  describe('in development mode with a generated token', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { APP_ENV: 'development' } });
    });

    afterAll(() => t?.close());

    it.each<[string, (t: TestApp) => Promise<Record<string, string>>]>([
      ['no Authorization header', async () => ({})],
      ['a wrong token of the same length', async (t) => ({ Authorization: `Bearer ${'x'.repeat(t.config.admin.token!.length)}` })],
      ['a wrong token of another length', async () => ({ Authorization: 'Bearer nope' })],
      ['the right token under another scheme', async (t) => ({ Authorization: `Basic ${t.config.admin.token}` })],
      ['a user access token', async (t) => (await createVerifiedUser(t)).auth],
    ])('answers 401 UNAUTHORIZED for %s and wipes nothing', async (_what, headersFor) => {
      const stillThere = await somethingToWipe(t);

      const res = await call(t, 'DELETE', '/admin/reset', { headers: await headersFor(t) });

      expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED', error: expect.any(String) } });
      await stillThere();
    });

    it('answers 204 for the generated token', async () => {
      await somethingToWipe(t);
      expect(t.config.admin.generatedIn).toBeDefined();

      const res = await call(t, 'DELETE', '/admin/reset', { headers: { Authorization: `Bearer ${t.config.admin.token}` } });

      expect(res.status).toBe(204);
      expect(await t.database.prisma.user.count()).toBe(0);
    });
  });

  describe.each([
    ['production', { APP_ENV: 'production', JWT_SECRET: 'j'.repeat(32), USER_ID_HASH_SECRET: 'u'.repeat(32), OTP_SECRET: 'o'.repeat(32), REFRESH_TOKEN_SECRET: 'r'.repeat(32) }],
    ['test', { APP_ENV: 'test' }],
  ])('in %s mode', (_mode, env) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { ...env, ADMIN_TOKEN } });
    });

    afterAll(() => t?.close());

    it('answers 403 FORBIDDEN even with the right token, and wipes nothing', async () => {
      const stillThere = await somethingToWipe(t);

      const res = await call(t, 'DELETE', '/admin/reset', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });

      expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', error: expect.any(String) } });
      await stillThere();
    });
  });
});
