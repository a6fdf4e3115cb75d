import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { coffer, FAST_KDF_CLI, json, type CliOptions, type CliRun } from './cli-runner';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password 1234';
const PASSPHRASE = 'a passphrase of some length';

interface Uploaded {
  file_id: string;
  file_name: string;
  link: string;
  mode: 'vault' | 'passphrase';
}

function expectOk(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`coffer exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/**
 * What a new user and an attacker found broken in the CLI (issue 15, "The CLI"), on fs storage
 * with cheap Argon2id: every test here is about the CLI's behaviour, not the storage driver.
 */
describe('the coffer CLI, hardened', () => {
  let t: TestApp;
  let root: string;
  let owner: CliOptions;
  let recipient: CliOptions;
  const email = `cli-hard-${randomBytes(4).toString('hex')}@example.com`;
  const ownerEnv = { COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };

  beforeAll(async () => {
    t = await startTestApp({ storage: 'fs', env: { DAILY_DOWNLOAD_LIMIT: '3' } });
    root = await mkdtemp(join(tmpdir(), 'coffer-cli-hardening-'));
    owner = { home: join(root, 'owner-home'), server: t.baseUrl, entry: FAST_KDF_CLI, env: ownerEnv };
    recipient = { home: join(root, 'recipient-home'), cwd: join(root, 'recipient-home'), entry: FAST_KDF_CLI, env: {} };
    await mkdir(recipient.home);
  });

  afterAll(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const run = (args: string[], options: CliOptions = owner, env: Record<string, string> = {}) => coffer(args, { ...options, env: { ...options.env, ...env } });

  /** The caller's usage as the server counts it. */
  async function usage(): Promise<{ used_bytes: number; reserved_bytes: number; file_count: number }> {
    return json(expectOk(await run(['usage', '--json'])));
  }

  describe('auth register --code', () => {
    it('finishes a registration started earlier: verifies with the mailed code (no new code is sent) and logs in', async () => {
      const started = expectOk(await run(['auth', 'register', '--email', email]));
      const code = await t.mail.codeFor(email);
      const mailsBefore = t.mail.messages.length;
      const finished = json(expectOk(await run(['auth', 'register', '--email', email, '--code', code, '--json'])));
      expect(finished).toEqual({ email, server: t.baseUrl, verified: true, logged_in: true });
      expect(t.mail.messages.length).toBe(mailsBefore);
      expectOk(await run(['files', 'list']));
      // The hint printed by the first step names this flow.
      expect(started.stdout).toContain(`coffer auth register --email ${email} --code <code>`);
    });
  });

  describe('files list', () => {
    it('lists a pending upload (another terminal mid-upload, or a killed one) instead of crashing', async () => {
      const { access_token: token } = JSON.parse(await readFile(join(owner.home, 'credentials.json'), 'utf8'));
      const presigned = await fetch(`${t.baseUrl}/api/files/presign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ file_name: 'in-progress.bin', mime_type: 'application/octet-stream', size: 1000 }),
      });
      expect(presigned.status).toBe(200);
      const { file_id: fileId } = (await presigned.json()) as { file_id: string };
      const human = expectOk(await run(['files', 'list']));
      expect(human.stdout).toMatch(new RegExp(`^${fileId.slice(0, 8)}  in-progress\\.bin .* pending `, 'm'));
      const listed = json<{ file_id: string; status: string }[]>(expectOk(await run(['files', 'list', '--json'])));
      expect(listed).toContainEqual(expect.objectContaining({ file_id: fileId, status: 'pending' }));
      expectOk(await run(['files', 'delete', fileId, '--yes']));
    });
  });
});
