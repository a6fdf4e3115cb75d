import { existsSync } from 'node:fs';
import { WEB_DIST_DIR } from '../../src/modules/web/web-assets';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';

/** The built pages (`npm run build` builds apps/web; `npm test` runs it first). */
describe('web pages (issue 17)', () => {
  let t: TestApp;

  beforeAll(async () => {
    if (!existsSync(WEB_DIST_DIR)) throw new Error(`${WEB_DIST_DIR} is missing: run npm run build`);
    t = await startTestApp();
  });

  afterAll(() => t?.close());

  function expectPageHeaders(res: Response): void {
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(csp).toContain(`connect-src 'self' ${new URL(t.baseUrl).origin};`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  }

  it.each([
    ['the recipient page', '/s/usrh-0123456789abcdef0123456789abcdef/3f2a0c1e-8a43-4bb6-9f5e-0d6f0e4f1a2b', 'recipient'],
    ['the owners’ app', '/', 'app'],
  ])('serves %s as HTML with the strict policy, no inline script or style', async (_what, path, entry) => {
    const res = await fetch(`${t.baseUrl}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expectPageHeaders(res);
    const html = await res.text();
    expect(html).toMatch(new RegExp(`<script type="module" crossorigin src="/assets/${entry}-[\\w-]+\\.js"></script>`));
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const again = await fetch(`${t.baseUrl}${path}`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets as immutable, and an unknown one as a JSON 404', async () => {
    const html = await (await fetch(`${t.baseUrl}/s/a/b`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const res = await fetch(`${t.baseUrl}${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${t.baseUrl}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.any(String), code: 'NOT_FOUND' });
    expect((await fetch(`${t.baseUrl}/assets/..%2Fs.html`)).status).toBe(404);
  });

  it('serves the download-stream service worker at its fixed URL with the strict policy, revalidated', async () => {
    const res = await fetch(`${t.baseUrl}/download-sw.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expectPageHeaders(res);
    const script = await res.text();
    expect(script).toContain('Content-Disposition');
    expect(script).not.toMatch(/^\s*(?:import|export)\s/m); // a classic worker script
  });

  it('keeps the API answers as they were', async () => {
    const res = await fetch(`${t.baseUrl}/s/only-one-segment`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
  });
});
