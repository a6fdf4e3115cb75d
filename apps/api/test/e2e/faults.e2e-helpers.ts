import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ObjectStore } from '@coffer/storage';
import { Client } from 'pg';
import { TEST_PASSWORD_HASH_COST } from '../../../../test/helpers/test-app';
import { createApp } from '../../src/app/create-app';
import type { Clock } from '../../src/common/clock';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/config';
import { Database, openDatabase } from '../../src/database/database';
import { buildObjectStore } from '../../src/modules/storage/object-store.factory';
import type { SmtpCapture } from '../../../../test/helpers/smtp-capture';
import { freePort } from './replicas.e2e-helpers';

const ROOT = path.join(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/api/dist/main.js');

export { freePort };

/** `url` with its port replaced: the app reaches PostgreSQL through a relay on that port. */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The built server (`node apps/api/dist/main.js`) as a child process on a fixed port, so a
 * restarted one answers the URLs the first one signed.
 */
export class ServerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(port: number, env: Record<string, string>): Promise<ServerProcess> {
    const childEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      APP_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    };
    const server = new ServerProcess(spawn(process.execPath, [MAIN], { cwd: ROOT, env: childEnv }), port);
    await until(
      'the server to listen',
      () => {
        if (server.output.includes('Coffer listening on')) return true;
        if (!server.running) throw new Error(`the server exited early:\n${server.output}`);
        return undefined;
      },
      60_000,
    );
    return server;
  }

  /** kill -9: no shutdown hook runs, connections drop mid-request. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  logged(text: string): boolean {
    return this.output.includes(text);
  }
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One JSON request, as any client sends it; redirects are answered, not followed. */
export async function api<T = any>(baseUrl: string, method: string, route: string, options: { body?: unknown; token?: string } = {}): Promise<Answer<T>> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json') && text !== '';
  return { status: res.status, body: (json ? JSON.parse(text) : text) as T, headers: res.headers };
}

/** The stock sign-up: register → mailed code → verify → login; returns the access token. */
export async function signUp(baseUrl: string, mail: SmtpCapture, email = `faults-${randomUUID()}@example.com`): Promise<string> {
  const password = 'correct horse battery';
  const registered = await api(baseUrl, 'POST', '/api/user/register', { body: { email, password } });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  const otp = await mail.codeFor(email, { timeoutMs: 20_000 });
  const verified = await api(baseUrl, 'PATCH', '/api/user/verify', { body: { email, otp } });
  if (verified.status !== 204) throw new Error(`verify answered ${verified.status}`);
  const login = await api(baseUrl, 'POST', '/api/user/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  return login.body.access_token as string;
}

export function completeBody(fileId: string, size: number): Record<string, unknown> {
  return { file_id: fileId, plaintext_hash: '', plaintext_size_bytes: Math.max(0, size - 32), passphrase_salt: '' };
}

/** PUTs bytes to a presigned URL as a plain HTTP client would; a network failure is status 0. */
export async function putBlob(resource: { url: string; headers: Record<string, string> }, bytes: Uint8Array): Promise<number> {
  try {
    const res = await fetch(resource.url, { method: 'PUT', headers: resource.headers, body: bytes });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export interface LedgerCheck {
  /** Users whose counters differ from what their files hold: none when nothing drifted. */
  drifted: { id: string; counters: [number, number, number]; files: [number, number, number] }[];
  /** The service-wide counters and what all files hold. */
  totals: { counters: [number, number]; files: [number, number] };
}

/**
 * Recomputes every quota counter from the files themselves (used = sizes of uploaded files,
 * reserved = reservations of pending ones, count = live files) and compares, straight in
 * PostgreSQL (not through the app, which may be down).
 */
export async function checkLedger(databaseUrl: string): Promise<LedgerCheck> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const users = await client.query<{ id: string; used: string; reserved: string; count: number; f_used: string; f_reserved: string; f_count: string }>(`
      SELECT u.id, u.used_bytes AS used, u.reserved_bytes AS reserved, u.file_count AS count,
             COALESCE(SUM(f.encrypted_size_bytes) FILTER (WHERE f.status = 'uploaded'), 0) AS f_used,
             COALESCE(SUM(f.reserved_bytes) FILTER (WHERE f.status = 'pending'), 0) AS f_reserved,
             COUNT(f.id) FILTER (WHERE f.status IN ('pending', 'uploaded')) AS f_count
      FROM users u LEFT JOIN files f ON f.user_id = u.id GROUP BY u.id`);
    const drifted = users.rows
      .map((r) => ({
        id: r.id,
        counters: [Number(r.used), Number(r.reserved), Number(r.count)] as [number, number, number],
        files: [Number(r.f_used), Number(r.f_reserved), Number(r.f_count)] as [number, number, number],
      }))
      .filter((r) => r.counters.join() !== r.files.join());
    const totals = await client.query<{ used: string; reserved: string; f_used: string; f_reserved: string }>(`
      SELECT s.used_bytes AS used, s.reserved_bytes AS reserved,
             (SELECT COALESCE(SUM(encrypted_size_bytes), 0) FROM files WHERE status = 'uploaded') AS f_used,
             (SELECT COALESCE(SUM(reserved_bytes), 0) FROM files WHERE status = 'pending') AS f_reserved
      FROM storage_usage s WHERE s.id = 1`);
    const t = totals.rows[0];
    return { drifted, totals: { counters: [Number(t.used), Number(t.reserved)], files: [Number(t.f_used), Number(t.f_reserved)] } };
  } finally {
    await client.end();
  }
}

/** Rows of the files table, straight from PostgreSQL. */
export async function fileRows(databaseUrl: string): Promise<{ id: string; status: string; object_key: string; object_removed_at: Date | null }[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query('SELECT id, status::text AS status, object_key, object_removed_at FROM files ORDER BY created_at')).rows;
  } finally {
    await client.end();
  }
}

/** Every file under the fs driver's blob directory (objects and temporary upload files), relative to it. */
export function filesOnDisk(blobsDir: string): string[] {
  if (!fs.existsSync(blobsDir)) return [];
  return (fs.readdirSync(blobsDir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(blobsDir, f)).isFile()).sort();
}

export interface InProcessApp {
  app: NestExpressApplication;
  baseUrl: string;
  config: AppConfig;
  database: Database;
  store: ObjectStore;
  close(): Promise<void>;
}

/**
 * The whole server in this process on an existing database and data directory (so a test can
 * run the clean-up jobs by hand, with its own clock, on what a killed server left), with the
 * store the test builds (e.g. an S3 client that goes through a relay).
 */
export async function startInProcess(options: {
  databaseUrl: string;
  dataDir: string;
  env?: Record<string, string>;
  store?: (config: AppConfig) => ObjectStore;
  clock?: Clock;
}): Promise<InProcessApp> {
  const port = await freePort();
  const loaded = loadConfig({
    APP_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_ENABLED: 'false',
    ...options.env,
  });
  const config: AppConfig = { ...loaded, testPasswordHashCost: TEST_PASSWORD_HASH_COST };
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = options.store ? options.store(config) : buildObjectStore(config, options.clock);
  const app = await createApp({ config, database, store, clock: options.clock });
  await app.listen(config.port, config.host);
  return { app, baseUrl: config.publicUrl, config, database, store, close: () => app.close() };
}
