import net from 'node:net';
import { ERROR_CODES } from '@coffer/contract';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { call, HttpResult } from '../../../../test/helpers/http';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { signJwt } from './auth.e2e-helpers';

/** Strings PostgreSQL cannot store (NUL) or that are not text at all (unpaired UTF-16 surrogates). */
const UNSTORABLE = { nul: 'a\u0000b', 'lone high surrogate': 'a\ud800b', 'lone low surrogate': 'a\udc00b', 'reversed pair': '\udc00\ud800' };
/** Characters that make a name display as something else: bidi controls and line separators. */
const DISPLAY_UNSAFE = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\u2028', '\u2029'];

const UUID = '3f2a0000-0000-4000-8000-000000000000';
const OWNER = `usrh-${'0'.repeat(32)}`;

function expectValidationFailed(res: HttpResult): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  expect(typeof res.body.error).toBe('string');
}

/** One raw HTTP/1.1 request over a socket: for requests `fetch` refuses to send. */
function rawRequest(t: TestApp, head: string): Promise<{ status: number; contentType: string; body: string }> {
  const { hostname, port } = new URL(t.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [headers, ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: ([^\r\n]*)/i.exec(headers)?.[1] ?? '';
      resolve({ status, contentType, body: rest.join('\r\n\r\n') });
    });
    socket.write(head, 'latin1');
  });
}

describe('bad input is a 4xx {error, code}, never a 500', () => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createVerifiedUser(t);
  });

  afterAll(() => t?.close());

  describe.each(Object.entries(UNSTORABLE))('a string with a %s', (_name, bad) => {
    it.each([
      ['POST', '/api/user/register', { email: `x${bad}@example.com`, password: 'correct horse battery' }],
      ['POST', '/api/user/register', { email: 'x@example.com', password: `correct horse ${bad}` }],
      ['PATCH', '/api/user/verify', { email: `x${bad}@example.com`, otp: '123456' }],
      ['PATCH', '/api/user/verify', { email: 'x@example.com', otp: `12${bad}` }],
      ['POST', '/api/user/verify/resend', { email: `x${bad}@example.com` }],
      ['POST', '/api/user/login', { email: `x${bad}@example.com`, password: 'p' }],
      ['DELETE', '/api/user', { email: `x${bad}@example.com`, password: 'p' }],
      ['POST', '/api/token/refresh', { refresh_token: `r${bad}` }],
      ['POST', '/api/token/revoke', { refresh_token: `r${bad}` }],
    ])('in %s %s %j is refused', async (method, path, body) => {
      expectValidationFailed(await call(t, method, path, { body }));
    });

    it.each([
      ['/api/files/presign', { file_name: `a${bad}.txt`, mime_type: 'text/plain' }],
      ['/api/files/presign', { file_name: 'a.txt', mime_type: `text/${bad}` }],
      ['/api/files/complete', { file_id: UUID, plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '', key_commitment: bad }],
    ])('in POST %s %j is refused', async (path, body) => {
      expectValidationFailed(await call(t, 'POST', path, { user: alice, body }));
    });

    it('as a field name is refused', async () => {
      expectValidationFailed(await call(t, 'POST', '/api/user/login', { body: { email: 'a@example.com', password: 'p', [bad]: 1 } }));
    });

    it.each(['/api/files/resolve', '/api/files', '/api/files/salt', '/api/files/hash'])('in the query of GET %s is refused', async (path) => {
      expectValidationFailed(await call(t, 'GET', `${path}?id=${encodeURIComponent(bad.replace(/[\ud800-\udfff]/g, '\u0000'))}`, { user: alice }));
    });

    it.each(['download', 'meta'])('in a path parameter of /files/%s is refused', async (route) => {
      expectValidationFailed(await call(t, 'GET', `/files/${route}/${OWNER}/${encodeURIComponent('a\u0000b')}`));
    });
  });

  describe('file names are display-safe text', () => {
    it.each(DISPLAY_UNSAFE.map((c) => [`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, c]))('refuses %s', async (_name, c) => {
      const res = await call(t, 'POST', '/api/files/presign', { user: alice, body: { file_name: `invoice${c}fdp.exe`, mime_type: 'application/octet-stream' } });
      expectValidationFailed(res);
      expect(res.body.error).toMatch(/file_name/);
    });

    it('still takes names in any script, emoji sequences and zero-width joiners included', async () => {
      for (const name of ['отчёт.pdf', 'تقرير.pdf', '报告.pdf', '👩‍💻 notes.md', 'a b\tc'.replace('\t', ' ')]) {
        const res = await call(t, 'POST', '/api/files/presign', { user: alice, body: { file_name: name, mime_type: 'text/plain' } });
        expect(res.status).toBe(200);
      }
    });
  });

  describe('prototype keys', () => {
    it.each(['__proto__', 'constructor', 'prototype', 'x', 'toString', 'hasOwnProperty'])('refuses "%s" inside a nested object', async (key) => {
      const raw = `{"file_id":"${UUID}","plaintext_hash":"","plaintext_size_bytes":0,"passphrase_salt":"","kdf_params":{"alg":"argon2id","m":65536,"t":3,"p":1,"${key}":{"x":1}}}`;
      const res = await fetch(`${t.baseUrl}/api/files/complete`, { method: 'POST', headers: { ...alice.auth, 'Content-Type': 'application/json' }, body: raw });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: `unknown field "kdf_params.${key}"`, code: 'VALIDATION_FAILED' });
    });

    it('refuses "__proto__" as a query parameter', async () => {
      expectValidationFailed(await call(t, 'GET', '/api/files/resolve?id=ab&__proto__=x', { user: alice }));
    });
  });

  describe('numbers and types', () => {
    it.each([
      ['a huge size', { size: 1e308 }],
      ['a size past 2^53', { size: 2 ** 60 }],
      ['a negative size', { size: -1 }],
      ['a fractional size', { size: 1.5 }],
      ['a size as a string', { size: '10' }],
      ['an array for the name', { file_name: ['a', 'b'] }],
      ['an object for the media type', { mime_type: { a: 1 } }],
      ['null for the name', { file_name: null }],
    ])('presign refuses %s', async (_what, patch) => {
      expectValidationFailed(await call(t, 'POST', '/api/files/presign', { user: alice, body: { file_name: 'a', mime_type: 'text/plain', ...patch } }));
    });

    it.each(['1e400', '-1e400', '123456789012345678901234567890', '-0.0000001'])('presign refuses the size %s written as JSON text', async (size) => {
      const res = await fetch(`${t.baseUrl}/api/files/presign`, {
        method: 'POST',
        headers: { ...alice.auth, 'Content-Type': 'application/json' },
        body: `{"file_name":"a","mime_type":"text/plain","size":${size}}`,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String), code: 'VALIDATION_FAILED' });
    });

    it.each([
      ['an array body', []],
      ['a string body', 'hello'],
      ['a number body', 42],
      ['null', null],
    ])('login refuses %s', async (_what, body) => {
      const res = await fetch(`${t.baseUrl}/api/user/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: unknown; code: string };
      expect(ERROR_CODES).toContain(json.code);
      expect(typeof json.error).toBe('string');
    });
  });

  describe('requests that are malformed as HTTP', () => {
    it.each([
      ['text/plain', 'email=a'],
      ['application/x-www-form-urlencoded', 'email=a%40example.com&password=p'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--x--'],
      ['application/json; charset=utf-32', '{}'],
      ['application/json; charset=bogus', '{}'],
    ])('a body of type %s is a 4xx JSON error', async (type, body) => {
      const res = await fetch(`${t.baseUrl}/api/user/login`, { method: 'POST', headers: { 'Content-Type': type }, body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const json = (await res.json()) as { error: unknown; code: string };
      expect(ERROR_CODES).toContain(json.code);
    });

    it('a duplicated query parameter is refused', async () => {
      expectValidationFailed(await call(t, 'GET', `/api/files/salt?id=${UUID}&id=${UUID}`, { user: alice }));
    });

    it('a bracketed query parameter is refused', async () => {
      expectValidationFailed(await call(t, 'GET', '/api/files/resolve?id[a]=ab', { user: alice }));
    });

    it.each(['/files/meta/%E0%A4%A/x', `/files/download/${OWNER}/%`, '/api/files/%ZZ'])('invalid percent-encoding in %s is refused', async (path) => {
      expectValidationFailed(await call(t, 'GET', path, { user: alice }));
    });

    it('a NUL byte in a header value is a 400 JSON error', async () => {
      const res = await rawRequest(t, `GET /api/files/all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toEqual({ error: expect.any(String), code: 'VALIDATION_FAILED' });
    });

    it('overlong headers are a 431 JSON error', async () => {
      const res = await rawRequest(t, `GET /api/healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(431);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(ERROR_CODES).toContain(JSON.parse(res.body).code);
    });

    it.each([
      ['an Expect other than 100-continue', `GET /api/files/all HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n`],
      ['no Host header', `GET /api/files/all HTTP/1.1\r\nConnection: close\r\n\r\n`],
      ['an unknown method', `BREW /api/files/all HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
      ['two Content-Lengths', `POST /api/user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`],
      ['a broken chunk', `POST /api/user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      ['a gzip body that is not gzip', `POST /api/user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`],
      ['an unknown content encoding', `POST /api/user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: zz\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`],
      ['an upgrade request', `GET /api/files/all HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`],
      ['an absolute-form target', `GET http://evil.example/api/files/all HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
      ['a non-ASCII header value', `GET /api/files/all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00e9\u00ff\r\nConnection: close\r\n\r\n`],
    ])('%s is a 4xx JSON error', async (_what, head) => {
      const res = await rawRequest(t, head);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(ERROR_CODES).toContain(JSON.parse(res.body).code);
    });

    it('a request line that is not HTTP is a 400 JSON error', async () => {
      const res = await rawRequest(t, 'HELLO\r\n\r\n');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: expect.any(String), code: 'VALIDATION_FAILED' });
    });
  });

  describe('signed tokens with odd claims', () => {
    const sign = (claims: Record<string, unknown>) => {
      const iat = Math.floor(Date.now() / 1000);
      return signJwt({ alg: 'HS256', typ: 'JWT' }, { iss: 'coffer', iat, exp: iat + 600, ver: 0, sid: UUID, sub: alice.id, ...claims }, t.config.secrets.jwt);
    };

    it.each([
      ['a subject that is not a UUID', { sub: 'not-a-uuid' }],
      ['a subject with a NUL', { sub: `${UUID}\u0000` }],
      ['a numeric subject', { sub: 42 }],
      ['an object subject', { sub: { id: UUID } }],
      ['a session that is not a UUID', { sid: "x' OR 1=1" }],
      ['a huge version', { ver: 1e308 }],
      ['a fractional version', { ver: 0.5 }],
      ['a string version', { ver: '0' }],
      ['a string expiry', { exp: 'never' }],
      ['an array issuer', { iss: ['coffer'] }],
    ])('%s is a 401', async (_what, claims) => {
      const res = await call(t, 'GET', '/api/files/all', { headers: { Authorization: `Bearer ${sign(claims)}` } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });
    });
  });
});
