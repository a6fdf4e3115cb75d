import { ACCOUNT_PASSWORD_BUDGET, RATE_LIMIT_GROUPS } from '../../src/modules/rate-limit/rate-limit.groups';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { registerVerified, startAuthTestApp } from './auth.e2e-helpers';

/** Password guesses: one budget per client address and one per account, shared by login and DELETE /api/user. */
describe('password-guess budgets', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startAuthTestApp({ env: { RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'loopback' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const login = (email: string, password: string, ip: string) =>
    call(t, 'POST', '/api/user/login', { body: { email, password }, headers: { 'X-Forwarded-For': ip } });
  const deleteAccount = (email: string, password: string, ip: string) =>
    call(t, 'DELETE', '/api/user', { body: { email, password }, headers: { 'X-Forwarded-For': ip } });

  it('login and account deletion share one budget per client address (not twice the guesses)', async () => {
    const { limit } = RATE_LIMIT_GROUPS.login;
    const ip = '203.0.113.50';
    const statuses: number[] = [];
    for (let i = 0; i < limit; i++) {
      const res = i % 2 === 0 ? await login(`client-${i}@example.com`, 'wrong password', ip) : await deleteAccount(`client-${i}@example.com`, 'wrong password', ip);
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(limit).fill(401));

    for (const refused of [await login('client-x@example.com', 'wrong password', ip), await deleteAccount('client-y@example.com', 'wrong password', ip)]) {
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: expect.any(String), code: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('one budget per account across client addresses and across login and deletion; other accounts are unaffected', async () => {
    const victim = await registerVerified(t, 'victim@example.com', 'victim password');
    const other = await registerVerified(t, 'other@example.com', 'other password');
    const statuses: number[] = [];
    for (let i = 0; i < ACCOUNT_PASSWORD_BUDGET.limit; i++) {
      const ip = `198.51.100.${i + 1}`;
      const res = i % 2 === 0 ? await login(victim.email, `guess ${i}`, ip) : await deleteAccount(victim.email, `guess ${i}`, ip);
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(ACCOUNT_PASSWORD_BUDGET.limit).fill(401));

    const fresh = '192.0.2.77';
    for (const refused of [await login(victim.email, 'guess x', fresh), await deleteAccount(victim.email, 'guess y', '192.0.2.78')]) {
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: expect.any(String), code: 'RATE_LIMITED' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(ACCOUNT_PASSWORD_BUDGET.windowSeconds);
    }
    expect((await login(other.email, 'other password', '192.0.2.79')).status).toBe(200);
  });
});
