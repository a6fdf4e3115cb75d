import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { createVerifiedUser } from '../../../../test/helpers/users';

/** `depth` nested arrays around `inner`: `[[[…inner…]]]`. */
function nested(depth: number, inner = '0'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

async function post(t: TestApp, path: string, raw: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: raw });
  const text = await res.text();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: JSON.parse(text) };
}

describe('deeply nested JSON bodies', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(() => t?.close());

  it('refuses 400,000 nested arrays in an unknown field with a 400 while the server stays responsive', async () => {
    // ~800 KB: under the 1 MiB body limit, so only the depth bound stops it.
    const body = `{"email":"a@example.com","password":"correct horse battery","x":${nested(400_000)}}`;
    expect(body.length).toBeLessThan(1024 * 1024);

    const [attack, health] = await Promise.all([post(t, '/api/user/register', body), fetch(`${t.baseUrl}/api/healthz`)]);

    expect(attack).toEqual({ status: 400, body: { error: expect.any(String), code: 'MALFORMED_JSON' } });
    expect(health.status).toBe(200);
    expect(await t.database.prisma.user.count()).toBe(0);
  });

  it('refuses a deep body on an authenticated route too, before any transformation', async () => {
    const alice = await createVerifiedUser(t);
    const body = `{"file_name":"a","mime_type":"x/y","size":1,"x":${nested(100_000, '{}')}}`;

    expect(await post(t, '/api/files/presign', body, alice.auth)).toEqual({ status: 400, body: { error: expect.any(String), code: 'MALFORMED_JSON' } });
  });

  it.each([
    ['arrays', nested(33)],
    ['objects', '{"a":'.repeat(33) + '1' + '}'.repeat(33)],
    ['both', '[{"a":'.repeat(17) + '1' + '}]'.repeat(17)],
  ])('refuses nesting deeper than 32 levels of %s', async (_what, value) => {
    expect(await post(t, '/api/user/login', `{"email":"a@example.com","password":"p","x":${value}}`)).toEqual({
      status: 400,
      body: { error: expect.any(String), code: 'MALFORMED_JSON' },
    });
  });

  it('counts only structure: brackets inside strings do not add depth', async () => {
    const res = await call(t, 'POST', '/api/user/login', { body: { email: 'a@example.com', password: '[[[[{{{{'.repeat(100) } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('still names an unknown, moderately nested field as unknown', async () => {
    const res = await call(t, 'POST', '/api/user/login', { body: { email: 'a@example.com', password: 'p', x: JSON.parse(nested(20)) } });
    expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', error: 'unknown field "x"' } });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the unknown field "%s" like any other', async (key) => {
    expect(await post(t, '/api/user/login', `{"email":"a@example.com","password":"p","${key}":{"x":[1]}}`)).toEqual({
      status: 400,
      body: { error: `unknown field "${key}"`, code: 'VALIDATION_FAILED' },
    });
  });
});
