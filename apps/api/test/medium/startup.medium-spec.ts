import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminQuery, serverUrl, withDatabase } from '../../../../test/helpers/database';
import { migrationNames } from '../../../../test/helpers/migrations';

// The built server, started as an operator would (npm test builds before running jest).
const MAIN = path.join(__dirname, '../../dist/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startServer(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; exited: Promise<Exit>; output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-start-')), LOG_LEVEL: 'info', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, exited, output: () => stdout };
}

async function waitForListening(server: ReturnType<typeof startServer>): Promise<{ migrationsApplied: string[] }> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const line = server.output().split('\n').find((l) => l.includes('Coffer listening on'));
    if (line) return JSON.parse(line);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start: ${server.output()}`);
}

describe('starting the server', () => {
  it.each([
    [{ PORT: 'abc' }, 'coffer: PORT must be a whole number (got "abc")'],
    [{ APP_ENV: 'production' }, 'coffer: JWT_SECRET, USER_ID_HASH_SECRET, OTP_SECRET, REFRESH_TOKEN_SECRET must be set in production'],
    [{ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/coffer' }, 'coffer: cannot connect to the database at postgresql://postgres@127.0.0.1:1/coffer: connect ECONNREFUSED'],
    [{ PORT: '0', REDIS_URL: 'redis://:not-logged@127.0.0.1:1' }, 'coffer: cannot connect to Redis at redis://:***@127.0.0.1:1: connect ECONNREFUSED'],
  ])('refuses %j with one readable line and a non-zero exit', async (env, message) => {
    const { code, stderr } = await startServer(env).exited;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
    // Without DATABASE_URL the server first creates and migrates an embedded database (PGlite):
    // ~20 s on an idle machine, past a minute under npm test's load on 2 cores.
  }, 180_000);

  const url = serverUrl();
  (url ? it : it.skip)('migrates an empty PostgreSQL database, applies nothing the second time, and stops cleanly on SIGTERM', async () => {
    const name = `coffer_start_${process.pid}_${Date.now()}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const env = { DATABASE_URL: withDatabase(url!, name), PORT: '0' };
      const first = startServer(env);
      expect((await waitForListening(first)).migrationsApplied).toEqual(migrationNames());
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);

      const second = startServer(env);
      expect((await waitForListening(second)).migrationsApplied).toEqual([]);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  }, 120_000);
});
