import request from 'supertest';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';

describe('foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('GET /api/healthz answers exactly OK as text/plain', async () => {
    const res = await request(t.baseUrl).get('/api/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('OK');
  });

  it('GET /api/readyz reports the database and storage', async () => {
    const res = await request(t.baseUrl).get('/api/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ database: 'ok', storage: 'ok' });
  });

  it('GET /api/cli/version gives the configured compatible version', async () => {
    const res = await request(t.baseUrl).get('/api/cli/version');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ compatible_version: '1.1.0' });
  });

  it('serves the OpenAPI document built from the controllers', async () => {
    const res = await request(t.baseUrl).get('/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/healthz', '/api/readyz', '/api/cli/version']));
  });

  it.each([
    ['an unknown path', () => request(t.baseUrl).get('/api/nope'), 404, 'NOT_FOUND'],
    ['a wrong method', () => request(t.baseUrl).put('/api/healthz'), 404, 'NOT_FOUND'],
    ['malformed JSON', () => request(t.baseUrl).post('/api/anything').set('Content-Type', 'application/json').send('{"a":'), 400, 'MALFORMED_JSON'],
    ['a 2 MiB body', () => request(t.baseUrl).post('/api/anything').set('Content-Type', 'application/json').send(JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE'],
  ])('answers %s with a JSON error', async (_what, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: expect.any(String), code });
  });

  it('keeps serving after 50 malformed requests, each a 4xx JSON error', async () => {
    const senders = [
      () => request(t.baseUrl).post('/api/user/login').set('Content-Type', 'application/json').send('{bad json'),
      () => request(t.baseUrl).patch('/api/healthz'),
      () => request(t.baseUrl).get(`/api/${'x'.repeat(50)}`),
      () => request(t.baseUrl).post('/api/user/register').set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'y'.repeat(2 * 1024 * 1024) })),
      () => request(t.baseUrl).delete('/api/%E0%A4%A'),
    ];
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => senders[i % senders.length]()));
    for (const res of responses) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toEqual({ error: expect.any(String), code: expect.any(String) });
    }
    expect((await request(t.baseUrl).get('/api/healthz')).text).toBe('OK');
  });
});
