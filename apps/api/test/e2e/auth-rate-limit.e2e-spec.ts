import { RATE_LIMIT_GROUPS } from '../../src/modules/rate-limit/rate-limit.groups';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { startAuthTestApp } from './auth.e2e-helpers';

// A new e-mail each time, so only the per-client budget is exercised (the per-account one has its own spec).
let logins = 0;
const loginAs = (t: TestApp, headers: Record<string, string> = {}) =>
  call(t, 'POST', '/api/user/login', { body: { email: `nobody-${++logins}@example.com`, password: 'wrong password' }, headers });

describe('rate limits', () => {
  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startAuthTestApp({ env: { RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'loopback' } });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('refuses a login burst from one client with 429, Retry-After and RateLimit headers; other clients are unaffected', async () => {
      const { limit, windowSeconds } = RATE_LIMIT_GROUPS.login;
      const burst = { 'X-Forwarded-For': '203.0.113.10' };

      const allowed = [];
      for (let i = 0; i < limit; i++) allowed.push(await loginAs(t, burst));
      expect(allowed.map((r) => r.status)).toEqual(Array(limit).fill(401));
      expect(allowed[0].headers.get('ratelimit-limit')).toBe(String(limit));
      expect(allowed[0].headers.get('ratelimit-remaining')).toBe(String(limit - 1));
      expect(allowed[limit - 1].headers.get('ratelimit-remaining')).toBe('0');

      const refused = await loginAs(t, burst);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(refused.body).toEqual({ error: expect.any(String), code: 'RATE_LIMITED' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
      expect(refused.headers.get('ratelimit-limit')).toBe(String(limit));
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(refused.headers.get('ratelimit-reset'))).toBe(retryAfter);

      // Another client address, through the same trusted proxy.
      expect((await loginAs(t, { 'X-Forwarded-For': '203.0.113.11' })).status).toBe(401);
      // The proxy's own address (no X-Forwarded-For) is another client too.
      expect((await loginAs(t)).status).toBe(401);
      // Other groups keep their own budget for the refused client.
      expect((await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: 'x' }, headers: burst })).status).toBe(401);
      expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email: 'nobody@example.com' }, headers: burst })).status).toBe(202);
    });

    it('limits registration tighter, per client', async () => {
      const { limit } = RATE_LIMIT_GROUPS.register;
      const client = { 'X-Forwarded-For': '198.51.100.20' };
      const statuses = [];
      for (let i = 0; i <= limit; i++) {
        statuses.push((await call(t, 'POST', '/api/user/register', { body: { email: 'bad' }, headers: client })).status);
      }
      expect(statuses).toEqual([...Array(limit).fill(400), 429]);
    });
  });

  describe('without a trusted proxy', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startAuthTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('ignores X-Forwarded-For, so a client cannot dodge the limit by inventing addresses', async () => {
      const { limit } = RATE_LIMIT_GROUPS.login;
      const statuses = [];
      for (let i = 0; i <= limit; i++) statuses.push((await loginAs(t, { 'X-Forwarded-For': `192.0.2.${i + 1}` })).status);
      expect(statuses).toEqual([...Array(limit).fill(401), 429]);
    });
  });

  describe('with RATE_LIMIT_ENABLED=false', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startAuthTestApp();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('never refuses and sends no RateLimit headers', async () => {
      const statuses = [];
      for (let i = 0; i <= RATE_LIMIT_GROUPS.register.limit + 2; i++) {
        const res = await call(t, 'POST', '/api/user/register', { body: { email: 'bad' } });
        statuses.push(res.status);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
      expect(new Set(statuses)).toEqual(new Set([400]));
    });
  });
});
