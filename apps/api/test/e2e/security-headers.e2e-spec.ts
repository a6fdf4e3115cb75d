import { startTestApp, TestApp } from '../../../../test/helpers/test-app';

const PRODUCTION = {
  APP_ENV: 'production',
  JWT_SECRET: 'j'.repeat(32),
  USER_ID_HASH_SECRET: 'u'.repeat(32),
  OTP_SECRET: 'o'.repeat(32),
  REFRESH_TOKEN_SECRET: 'r'.repeat(32),
};

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('content-security-policy')).toMatch(/default-src '(none|self)'/);
}

describe('security headers and API docs', () => {
  describe('in development and test mode', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(() => t?.close());

    it.each([
      ['a success', 'GET', '/api/healthz', 200],
      ['an error', 'GET', '/api/nope', 404],
      ['an authentication failure', 'GET', '/api/files/all', 401],
      ['a malformed body', 'POST', '/api/user/login', 400],
    ])('are on %s', async (_what, method, path, status) => {
      const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{' : undefined });
      expect(res.status).toBe(status);
      expectSecurityHeaders(res);
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
    });

    it('serve the OpenAPI UI with a policy that lets its own inline script and styles run, on its path only', async () => {
      const ui = await fetch(`${t.baseUrl}/api/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger-ui');
      expectSecurityHeaders(ui);
      expect(ui.headers.get('content-security-policy')).toMatch(/script-src 'self' 'unsafe-inline'/);
      expect((await fetch(`${t.baseUrl}/api/docs-json`)).status).toBe(200);
    });
  });

  describe('in production mode', () => {
    it('serve no API docs unless API_DOCS_ENABLED', async () => {
      const off = await startTestApp({ env: PRODUCTION });
      try {
        const ui = await fetch(`${off.baseUrl}/api/docs`);
        expect(ui.status).toBe(404);
        expectSecurityHeaders(ui);
        expect((await fetch(`${off.baseUrl}/api/docs-json`)).status).toBe(404);
      } finally {
        await off.close();
      }
      const on = await startTestApp({ env: { ...PRODUCTION, API_DOCS_ENABLED: 'true' } });
      try {
        expect((await fetch(`${on.baseUrl}/api/docs-json`)).status).toBe(200);
      } finally {
        await on.close();
      }
    });
  });
});
