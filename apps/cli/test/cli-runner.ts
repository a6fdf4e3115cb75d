import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `coffer` binary as installed (it runs the build: `npx tsc -b apps/cli` first), at production Argon2id cost. */
export const CLI = join(__dirname, '..', 'bin', 'coffer.js');
/** The same built program with cheap Argon2id (FAST_KDF), for tests that are not about the KDF's cost. */
export const FAST_KDF_CLI = join(__dirname, 'coffer-fast-kdf.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  home: string;
  server?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Working directory (where `decrypt` writes by default); the system temp dir unless given. */
  cwd?: string;
  /** The program to run: CLI or FAST_KDF_CLI. */
  entry: string;
}

/**
 * Runs `coffer` as a separate process with a clean environment: only PATH, a throw-away HOME and
 * what the test passes. Asynchronous on purpose: the server under test runs in this process, and
 * a synchronous child would block its event loop.
 */
export function coffer(args: string[], options: CliOptions): Promise<CliRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.home,
    COFFER_HOME: options.home,
    ...(options.server ? { COFFER_SERVER: options.server } : {}),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry, ...args], { env, cwd: options.cwd ?? tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Parses `--json` output, failing the test with the CLI's stderr when it is not JSON. */
export function json<T = any>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
