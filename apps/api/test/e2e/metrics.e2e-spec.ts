import { randomUUID } from 'node:crypto';
import { ROUTES } from '@coffer/contract';
import { FS_STORAGE_PATH } from '@coffer/storage';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { FilesScheduler } from '../../src/modules/files/files.scheduler';
import { complete, uploadFile } from './files.e2e-helpers';

const METRICS_TOKEN = 'a-test-metrics-token-'.padEnd(40, '0');
const PRODUCTION = {
  APP_ENV: 'production',
  JWT_SECRET: 'j'.repeat(32),
  USER_ID_HASH_SECRET: 'u'.repeat(32),
  OTP_SECRET: 'o'.repeat(32),
  REFRESH_TOKEN_SECRET: 'r'.repeat(32),
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await call(t, 'GET', '/metrics', { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(res.body as string);
}

describe('GET /metrics in production mode', () => {
  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ env: { ...PRODUCTION, METRICS_TOKEN } })));
    afterAll(() => t?.close());

    it('answers the right bearer token', async () => {
      const samples = await scrape(t, { Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    });

    it.each([
      ['no Authorization header (even over loopback)', {}],
      ['a wrong token', { Authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}x` }],
      ['the token with another scheme', { Authorization: `Basic ${METRICS_TOKEN}` }],
    ])('refuses %s with 401 UNAUTHORIZED and no metrics', async (_what, headers: Record<string, string>) => {
      const res = await call(t, 'GET', '/metrics', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'UNAUTHORIZED' });
    });
  });

  describe('without METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ env: PRODUCTION })));
    afterAll(() => t?.close());

    it('answers nobody: 404 NOT_FOUND, whatever the request carries', async () => {
      for (const headers of [{}, { Authorization: `Bearer ${METRICS_TOKEN}` }, { Authorization: 'Bearer ' }] as Record<string, string>[]) {
        const res = await call(t, 'GET', '/metrics', { headers });
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: expect.any(String), code: 'NOT_FOUND' });
      }
    });
  });
});

describe('GET /metrics content (test mode, open to loopback)', () => {
  let t: TestApp;
  let user: TestUser;
  let fileId: string;
  let ownerAndFile: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { DAILY_DOWNLOAD_LIMIT: '5' } });
    user = await createVerifiedUser(t);
    const uploaded = await uploadFile(t, user, { size: 1234 });
    fileId = uploaded.fileId;
    ownerAndFile = uploaded.key;
    expect((await complete(t, user, randomUUID())).status).toBe(404);
    expect((await call(t, 'GET', `/files/download/${ownerAndFile}`)).status).toBe(303);
    expect((await call(t, 'GET', `/files/meta/${ownerAndFile}`)).status).toBe(200);
    expect((await call(t, 'GET', `/api/no-such-route/${fileId}`)).status).toBe(404);
    expect(await t.app.get(FilesScheduler).expireStaleUploads()).toBe(true);
  });

  afterAll(() => t?.close());

  it('is served to a loopback client without a token outside production', async () => {
    expect(value(await scrape(t), 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts requests by route pattern and status, with latency histograms', async () => {
    const samples = await scrape(t);
    expect(value(samples, 'coffer_http_requests_total', { method: 'POST', route: '/api/files/presign', status: '200' })).toBe(1);
    expect(value(samples, 'coffer_http_requests_total', { method: 'POST', route: '/api/files/complete', status: '404' })).toBe(1);
    expect(value(samples, 'coffer_http_requests_total', { method: 'GET', route: '/files/download/:userIdHash/:fileId', status: '303' })).toBe(1);
    expect(value(samples, 'coffer_http_requests_total', { method: 'PUT', route: `${FS_STORAGE_PATH}*`, status: '200' })).toBe(1);
    expect(value(samples, 'coffer_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(value(samples, 'coffer_http_request_duration_seconds_count', { method: 'POST', route: '/api/files/presign', status: '200' })).toBe(1);
    expect(value(samples, 'coffer_http_request_duration_seconds_bucket', { route: '/api/files/presign', le: '+Inf' })).toBe(1);
  });

  it('never puts an id, owner hash, e-mail or raw path into a label', async () => {
    const samples = await scrape(t);
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    const [ownerHash] = ownerAndFile.split('/');
    for (const secret of [fileId, ownerHash, user.id, user.email, 'no-such-route']) {
      expect(labelValues.filter((v) => v.includes(secret))).toEqual([]);
    }
    const knownRoutes = new Set([...Object.values(ROUTES).map((r) => r.path.replace(/\{(\w+)\}/g, ':$1')), `${FS_STORAGE_PATH}*`, 'unmatched']);
    const routes = new Set(samples.filter((s) => s.name.startsWith('coffer_http_')).map((s) => s.labels.route));
    expect([...routes].filter((route) => !knownRoutes.has(route))).toEqual([]);
  });

  it('counts presigns and completes by result, failed completes by their error code', async () => {
    const samples = await scrape(t);
    expect(value(samples, 'coffer_upload_presigns_total', { result: 'ok' })).toBe(1);
    expect(value(samples, 'coffer_upload_completes_total', { result: 'ok' })).toBe(1);
    expect(value(samples, 'coffer_upload_completes_total', { result: 'NOT_FOUND' })).toBe(1);
  });

  it('reads the stored and reserved bytes from the ledger', async () => {
    const samples = await scrape(t);
    expect(value(samples, 'coffer_storage_used_bytes')).toBe(1234);
    expect(value(samples, 'coffer_storage_reserved_bytes')).toBe(0);
  });

  it('counts job runs by job and outcome', async () => {
    const samples = await scrape(t);
    expect(value(samples, 'coffer_job_runs_total', { job: 'files.expire-stale-uploads', outcome: 'ok' })).toBe(1);
    expect(value(samples, 'coffer_job_duration_seconds_count', { job: 'files.expire-stale-uploads' })).toBe(1);
  });

  (onPostgres() ? it : it.skip)('reports the database pool (PostgreSQL)', async () => {
    const samples = await scrape(t);
    expect(value(samples, 'coffer_db_pool_max')).toBe(10);
    expect(value(samples, 'coffer_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'coffer_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'coffer_db_pool_waiting')).toBe(0);
  });
});

/** The embedded database (no DATABASE_URL) has no pool to report. */
function onPostgres(): boolean {
  return Boolean(process.env.DATABASE_URL);
}
