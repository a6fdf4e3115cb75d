import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Vault } from '@coffer/crypto';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { coffer, FAST_KDF_CLI, json, type CliOptions, type CliRun } from './cli-runner';
import { FAST_KDF } from './coffer-fast-kdf';

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

/** The fs driver's directory (this suite runs on the fs driver). */
function fsRoot(t: TestApp): string {
  const storage = t.config.storage;
  if (storage.driver !== 'fs') throw new Error('cli-hardening runs on the fs driver');
  return storage.root;
}

describe('the coffer CLI, hardened', () => {
  let t: TestApp;
  let root: string;
  let owner: CliOptions;
  let recipient: CliOptions;
  const email = `cli-hard-${randomBytes(4).toString('hex')}@example.com`;
  const ownerEnv = { COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };

  beforeAll(async () => {
    // Single-PUT uploads throughout (the multipart path has its own spec): a 5 GB per-file limit,
    // and multipart only above 4 GB, so the 3 GiB interrupted uploads below take one PUT.
    t = await startTestApp({
      storage: 'fs',
      env: { DAILY_DOWNLOAD_LIMIT: '3', MAX_FILE_SIZE_BYTES: '5000000000', MULTIPART_THRESHOLD_BYTES: '4000000000' },
    });
    root = await mkdtemp(join(tmpdir(), 'coffer-cli-hardening-'));
    owner = { home: join(root, 'owner-home'), server: t.baseUrl, entry: FAST_KDF_CLI, env: ownerEnv };
    recipient = { home: join(root, 'recipient-home'), cwd: join(root, 'recipient-home'), entry: FAST_KDF_CLI, env: {} };
    await mkdir(recipient.home);
    // A local vault from before account keys: uploads keep recording their keys in it (the
    // password is in the environment), and an interrupted upload removes its entry.
    await Vault.create(join(owner.home, 'vault'), VAULT_PASSWORD, { kdf: FAST_KDF.vault, bounds: FAST_KDF.bounds });
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
      expect(json(expectOk(await run(['auth', 'status', '--json'])))).toMatchObject({ logged_in: true, email, server: t.baseUrl, login_server: t.baseUrl });
      // The hint printed by the first step names this flow.
      expect(started.stdout).toContain(`coffer auth register --email ${email} --code <code>`);
    });
  });

  describe('auth verify after too many wrong codes', () => {
    it('says to wait until the window ends (the Retry-After time), not to resend: neither a resend nor a new registration gives more tries', async () => {
      const other = `cli-guesses-${randomBytes(4).toString('hex')}@example.com`;
      expectOk(await run(['auth', 'register', '--email', other]));
      const code = await t.mail.codeFor(other);
      const wrong = (n: number) => String((Number(code) + 1 + n) % 1_000_000).padStart(6, '0');
      let failed: CliRun | undefined;
      for (let i = 0; i < 5; i++) {
        failed = await run(['auth', 'verify', '--email', other, '--code', wrong(i)]);
        expect(failed.code).toBe(1);
        if (i < 4) expect(failed.stderr).toMatch(/^coffer: verification failed: wrong code/);
      }
      const [message, hint] = failed!.stderr.split('\n');
      expect(message).toBe('coffer: verification failed: too many wrong codes for this e-mail address; until the wait is over no code is accepted, not even the right one');
      expect(hint).toMatch(/^Try again in \d+ min( \d+ s)? \(at \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\. Neither `coffer auth resend` nor registering again gives more tries before then\. /);
      expect(failed!.stderr).not.toMatch(/get a new one with `coffer auth resend`/i);
      // What the hint says holds: a new registration's code is refused too, and so is the first one.
      const mails = t.mail.messages.length;
      expectOk(await run(['auth', 'register', '--email', other]));
      const fresh = await t.mail.codeFor(other, { after: mails });
      for (const tried of [fresh, code]) {
        const refused = await run(['auth', 'verify', '--email', other, '--code', tried]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^coffer: verification failed: too many wrong codes for this e-mail address/);
      }
    });
  });

  describe('exit codes: one rule (README, "Exit codes")', () => {
    const link = () => `${t.baseUrl}/api/files/download/usrh-${'0'.repeat(32)}/00000000-0000-4000-8000-000000000000`;
    it.each([
      ['a malformed --code', () => ['auth', 'verify', '--email', email, '--code', '12345'], /^coffer: the verification code must be 6 digits\n/],
      ['a malformed --code at register', () => ['auth', 'register', '--email', email, '--code', 'abcdef'], /^coffer: the verification code must be 6 digits\n/],
      ['an e-mail that is no address (login)', () => ['auth', 'login', '--email', 'alice.example.com'], /^coffer: not an e-mail address: "alice\.example\.com"\n/],
      ['an e-mail that is no address (register)', () => ['auth', 'register', '--email', 'alice@'], /^coffer: not an e-mail address/],
      ['an address the server refuses as malformed (register, nothing saved)', () => ['auth', 'register', '--email', 'alice@localhost'], /^coffer: registration failed: .*e-mail address/],
      ['a malformed --key', () => ['decrypt', link(), '--key', 'not-a-key'], /^coffer: the key from --key is not a base64 32-byte key\n/],
      ['a malformed COFFER_KEY', () => ['decrypt', link()], /^coffer: the key from COFFER_KEY is not a base64 32-byte key\n/, { COFFER_KEY: 'AAAA' }],
      ['a malformed link', () => ['decrypt', 'https://example.com/nothing/here'], /^coffer: not a share link/],
      ['a malformed file id (files show)', () => ['files', 'show', 'zz!'], /^coffer: invalid file id "zz!"\n/],
      ['a malformed file id (files delete)', () => ['files', 'delete', 'not-hex', '--yes'], /^coffer: invalid file id "not-hex"\n/],
      ['a malformed file id (share)', () => ['share', 'g123'], /^coffer: invalid file id "g123"\n/],
      ['a malformed server URL', () => ['--server', 'ftp://example.com', 'usage'], /^coffer: the server URL must use http or https/],
      ['an unknown option', () => ['files', 'list', '--colour'], /^coffer: unknown option '--colour'\n/],
      ['a missing secret without a terminal', () => ['auth', 'login', '--email', email], /^coffer: no password given and no terminal to ask for it\n/, { COFFER_PASSWORD: '' }],
      ['a missing confirmation without a terminal', () => ['auth', 'delete-account', '--email', email], /^coffer: no confirmation given and no terminal to ask for it\n/],
    ] as const)('%s is a usage error: exit 2', async (_what, args, stderr, env: Record<string, string> = {}) => {
      const files = await t.database.prisma.file.count();
      const users = await t.database.prisma.user.count();
      const failed = await run([...args()], owner, env);
      expect(failed.stderr).toMatch(stderr);
      expect(failed.code).toBe(2);
      expect(await t.database.prisma.file.count()).toBe(files);
      expect(await t.database.prisma.user.count()).toBe(users);
    });

    it('a well-formed but wrong input is a failure: exit 1', async () => {
      const wrong = await run(['auth', 'login', '--email', email], owner, { COFFER_PASSWORD: 'not the password' });
      expect(wrong.stderr).toMatch(/^coffer: login failed: wrong e-mail or password/);
      expect(wrong.code).toBe(1);
      // Logged in by the first test of this file.
      const unknown = await run(['files', 'show', 'ffffffff']);
      expect(unknown.stderr).toMatch(/^coffer: .*no file of yours has an id starting with ffffffff\n/);
      expect(unknown.code).toBe(1);
    });
  });

  describe('decrypt with a wrong key or passphrase', () => {
    const upload = async (name: string, bytes: Buffer, extra: string[] = []): Promise<Uploaded> => {
      await writeFile(join(root, name), bytes);
      return json<Uploaded[]>(expectOk(await run(['upload', join(root, name), '--json', ...extra])))[0];
    };
    const into = async (name: string) => {
      const dir = join(root, name);
      await mkdir(dir);
      return dir;
    };
    const wrongKey = () => randomBytes(32).toString('base64');

    it('says "wrong passphrase" and spends no more than one of the daily downloads on wrong tries', async () => {
      await writeFile(join(root, 'passphrase.txt'), PASSPHRASE);
      const bytes = randomBytes(70_000);
      const file = await upload('by-passphrase.bin', bytes, ['--passphrase-file', join(root, 'passphrase.txt')]);
      const dir = await into('wrong-passphrase-out');
      for (let i = 0; i < 3; i++) {
        const failed = await run(['decrypt', file.link, dir], recipient, { COFFER_PASSPHRASE: `not the passphrase ${i}` });
        expect(failed.stderr).toMatch(/^coffer: decryption failed: wrong passphrase\n/);
        expect(failed.code).toBe(1);
      }
      const withKey = await run(['decrypt', file.link, dir, '--key', wrongKey()], recipient);
      expect(withKey.stderr).toMatch(/^coffer: decryption failed: this file was shared with a passphrase, not a key\n/);
      expect(withKey.code).toBe(1);
      expect(await readdir(dir)).toEqual([]);
      // The limit is 3 a day: the right passphrase still gets the file.
      expectOk(await run(['decrypt', file.link, dir], recipient, { COFFER_PASSPHRASE: PASSPHRASE }));
      expect((await readFile(join(dir, 'by-passphrase.bin'))).equals(bytes)).toBe(true);
    });

    it('says "wrong key" apart from "tampered with", and spends no more than one download on wrong keys', async () => {
      const bytes = randomBytes(3 * 65_536);
      const file = await upload('by-key.bin', bytes);
      const key = json(expectOk(await run(['share', file.file_id, '--json']))).key as string;
      const dir = await into('wrong-key-out');
      for (let i = 0; i < 3; i++) {
        const failed = await run(['decrypt', file.link, dir, '--key', wrongKey()], recipient);
        expect(failed.stderr).toMatch(/^coffer: decryption failed: wrong key\n/);
        expect(failed.code).toBe(1);
      }
      const withPassphrase = await run(['decrypt', file.link, dir, '--passphrase'], recipient, { COFFER_PASSPHRASE: PASSPHRASE });
      expect(withPassphrase.stderr).toMatch(/^coffer: decryption failed: this file was shared with a key, not a passphrase\n/);
      expect(await readdir(dir)).toEqual([]);
      // A byte flipped in storage: the right key matches the commitment, the data does not authenticate.
      const objectKey = new URL(file.link).pathname.split('/').slice(-2).join('/');
      const blobPath = join(fsRoot(t), ...objectKey.split('/'));
      const blob = await readFile(blobPath);
      blob[65_536 + 100] ^= 0x01;
      await writeFile(blobPath, blob);
      const tampered = await run(['decrypt', file.link, dir, '--key', key], recipient);
      expect(tampered.stderr).toMatch(/^coffer: decryption failed: the file was tampered with or damaged/);
      expect(tampered.code).toBe(1);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  describe('an interrupted upload', () => {
    /** `coffer` as a child process the test can signal; `result` settles when it exits. */
    function spawnCoffer(args: string[]): { child: ChildProcess; result: Promise<{ code: number | null; stderr: string }> } {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: owner.home, COFFER_HOME: owner.home, COFFER_SERVER: t.baseUrl, ...ownerEnv };
      const child = spawn(process.execPath, [FAST_KDF_CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const err: Buffer[] = [];
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      const result = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
      });
      return { child, result };
    }

    /** Waits until the upload's ciphertext is arriving in storage (its temporary object has bytes). */
    async function bytesFlowing(earlier: string[], exited: () => boolean): Promise<{ id: string; objectKey: string }> {
      for (;;) {
        if (exited()) throw new Error('the upload ended before its bytes were seen');
        // The server knows the file only by its neutral name: the new pending row is the one.
        const row = await t.database.prisma.file.findFirst({ where: { fileName: 'encrypted', status: 'pending', id: { notIn: earlier } } });
        if (row) {
          const dir = join(fsRoot(t), ...row.objectKey.split('/').slice(0, -1));
          const parts = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith(`${row.id}~`));
          const sizes = await Promise.all(parts.map((name) => stat(join(dir, name)).then((info) => info.size, () => 0)));
          if (sizes.some((size) => size > 0)) return row;
        }
        await sleep(5);
      }
    }

    it.each([
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const)('on %s discards the pending file, its reservation and its vault entry, and exits %d', async (signal, exitCode) => {
      const fileName = `interrupted-${signal}.bin`;
      const path = join(root, fileName);
      // Sparse: no disk, and long enough to read that the upload is still under way when signalled.
      await writeFile(path, '');
      await truncate(path, 3 * 1024 ** 3);
      const earlier = (await t.database.prisma.file.findMany({ select: { id: true } })).map((f) => f.id);
      const upload = spawnCoffer(['upload', path]);
      let exited = false;
      void upload.result.finally(() => (exited = true));
      const row = await bytesFlowing(earlier, () => exited);
      upload.child.kill(signal);
      const result = await upload.result;
      expect(result.code).toBe(exitCode);
      expect(result.stderr).toContain('coffer: interrupted');
      expect(await t.database.prisma.file.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'deleted' });
      expect(await usage()).toMatchObject({ reserved_bytes: 0 });
      const vault = await Vault.open(join(owner.home, 'vault'), VAULT_PASSWORD, { bounds: FAST_KDF.bounds });
      expect(await vault.get(row.id)).toBeUndefined();
    });
  });

  describe('an upload that cannot start', () => {
    /** A second COFFER_HOME of the same account, without a vault yet. */
    let fresh: CliOptions;

    beforeAll(async () => {
      fresh = { ...owner, home: join(root, 'fresh-home') };
      expectOk(await run(['auth', 'login', '--email', email], fresh));
    });

    it('reports a missing file before asking for any secret (exit 1, not "no vault password")', async () => {
      const missing = join(root, 'no-such-file.bin');
      const failed = await run(['upload', missing], fresh, { COFFER_VAULT_PASSWORD: '' });
      expect(failed.stderr).toBe(`coffer: upload of ${missing} failed: no such file\nCheck the path.\n`);
      expect(failed.code).toBe(1);
      await expect(stat(join(fresh.home, 'vault'))).rejects.toThrow();
    });

    it('creates no vault when the server refuses the upload (too large)', async () => {
      const huge = join(root, 'huge.bin');
      await writeFile(huge, '');
      // Sparse, above this server's 5 GB per-file limit: refused at presign.
      await truncate(huge, 6 * 1024 ** 3);
      const refused = await run(['upload', huge], fresh);
      expect(refused.stderr).toContain('the file is too large for this server');
      expect(refused.code).toBe(1);
      await expect(stat(join(fresh.home, 'vault'))).rejects.toThrow();
      expect(await usage()).toMatchObject({ reserved_bytes: 0 });
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
