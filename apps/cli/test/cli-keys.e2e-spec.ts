import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vault } from '@coffer/crypto';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { CLI, coffer, FAST_KDF_CLI, json, type CliOptions, type CliRun } from './cli-runner';
import { FAST_KDF } from './coffer-fast-kdf';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password 1234';
const NEW_VAULT_PASSWORD = 'a brand new vault password';
const RECOVERED_PASSWORD = 'password set by recovery';
const PASSPHRASE = 'a passphrase of some length';
const VAULT_CHANGED_PASSWORD = 'vault and account key password';
const FINAL_PASSWORD = 'the final vault password';

interface Uploaded {
  file_id: string;
  file_name: string;
  link: string;
}

function expectOk(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`coffer exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

function mode(info: { mode: number }): number {
  return info.mode & 0o777;
}

/**
 * Account keys (issue 16) end to end: several devices (one COFFER_HOME each) of one account
 * against a live server with real PostgreSQL and fs storage, through the built CLI with cheap
 * Argon2id. Each test builds on the ones before it.
 */
describe('the coffer CLI with account keys', () => {
  let t: TestApp;
  let root: string;
  let files: string;
  let userId: string;
  const email = `cli-keys-${randomBytes(4).toString('hex')}@example.com`;
  const device = (name: string): CliOptions => ({ home: join(root, name), cwd: join(root, name), server: t.baseUrl, entry: FAST_KDF_CLI, env: { COFFER_PASSWORD: PASSWORD } });
  let a: CliOptions;
  let b: CliOptions;
  let c: CliOptions;
  let recipient: CliOptions;

  const run = (args: string[], options: CliOptions, env: Record<string, string> = {}) => coffer(args, { ...options, env: { ...options.env, ...env } });
  const upload = async (options: CliOptions, name: string, bytes: Buffer, env: Record<string, string> = {}, extra: string[] = []): Promise<Uploaded> => {
    await writeFile(join(files, name), bytes);
    return json<Uploaded[]>(expectOk(await run(['upload', join(files, name), '--json', ...extra], options, env)))[0];
  };
  const downloads = async (fileId: string): Promise<number> =>
    (await t.database.prisma.downloadCounter.findMany({ where: { fileId } })).reduce((sum, row) => sum + row.count, 0);
  const fileRow = (id: string) => t.database.prisma.file.findUniqueOrThrow({ where: { id } });

  beforeAll(async () => {
    t = await startTestApp({ storage: 'fs', env: { DAILY_DOWNLOAD_LIMIT: '3' } });
    root = await mkdtemp(join(tmpdir(), 'coffer-cli-keys-'));
    files = join(root, 'files');
    a = device('device-a');
    b = device('device-b');
    c = device('device-c');
    recipient = { ...device('recipient'), server: undefined, env: {} };
    await Promise.all([files, a.home, b.home, c.home, recipient.home].map((dir) => mkdir(dir)));
    expectOk(await run(['auth', 'register', '--email', email], a));
    expectOk(await run(['auth', 'verify', '--email', email, '--code', await t.mail.codeFor(email)], a));
    for (const d of [a, b, c]) expectOk(await run(['auth', 'login', '--email', email], d));
    userId = (await t.database.prisma.user.findUniqueOrThrow({ where: { email } })).id;
  });

  afterAll(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const firstBytes = randomBytes(3 * 65_536 + 17);
  let first: Uploaded;

  it('creates the account key on first use and pins it in keys.json (0600)', async () => {
    const none = json(expectOk(await run(['keys', 'status', '--json'], a)));
    expect(none).toMatchObject({ has_key: false, pin: 'unpinned' });
    const init = json(expectOk(await run(['keys', 'init', '--json'], a, { COFFER_VAULT_PASSWORD: VAULT_PASSWORD })));
    expect(init).toMatchObject({ created: true, pinned: true });
    const row = await t.database.prisma.accountKey.findUniqueOrThrow({ where: { userId } });
    expect(init.fingerprint).toBe(createHash('sha256').update(Buffer.from(row.publicKey, 'base64')).digest('hex'));
    expect(mode(await stat(join(a.home, 'keys.json')))).toBe(0o600);
    const pins = JSON.parse(await readFile(join(a.home, 'keys.json'), 'utf8'));
    expect(pins[`${t.baseUrl}|${userId}`]).toMatchObject({ public_key: row.publicKey, fingerprint: init.fingerprint });
    expect(json(expectOk(await run(['keys', 'status', '--json'], a)))).toMatchObject({ has_key: true, pin: 'pinned', recovery_code_set: false, fingerprint: init.fingerprint });
  });

  it('uploads from device A with no password (none in the environment, no terminal); the server sees nothing of the plaintext', async () => {
    first = await upload(a, 'first report.pdf', firstBytes);
    expect(first.file_name).toBe('first report.pdf');
    const row = await fileRow(first.file_id);
    expect(row).toMatchObject({ fileName: 'encrypted', mimeType: 'application/octet-stream', plaintextHash: '', keyManagementMode: 'vault' });
    expect(row.sealedKey).toMatch(/^[A-Za-z0-9+/]{108}$/);
    expect(row.encryptedMetadata).toBeTruthy();
    const blob = await readFile(join((t.config.storage as { root: string }).root, ...row.objectKey.split('/')));
    expect(row.noncePrefix).toBe(blob.subarray(0, 7).toString('hex'));
    // No vault was created: the key lives sealed on the server.
    await expect(stat(join(a.home, 'vault'))).rejects.toThrow();
    const meta = await (await fetch(first.link.replace('/files/download/', '/files/meta/'))).json();
    expect(meta).toMatchObject({ file_name: 'encrypted', plaintext_hash: '', nonce_prefix: row.noncePrefix, encrypted_metadata: row.encryptedMetadata });
    expect(mode(await stat(join(a.home, 'names.json')))).toBe(0o600);
    // Not even a wrong vault password in the environment is read: the pinned key needs no unlock (no Argon2id).
    const again = await upload(a, 'again.bin', randomBytes(1000), { COFFER_VAULT_PASSWORD: 'not any password of this account' });
    expect((await fileRow(again.file_id)).sealedKey).toMatch(/^[A-Za-z0-9+/]{108}$/);
  });

  it('lists the real name on the uploading device, "(encrypted)" elsewhere until --unlock', async () => {
    expect(expectOk(await run(['files', 'list'], a)).stdout).toContain('first report.pdf');
    const onB = expectOk(await run(['files', 'list'], b)).stdout;
    expect(onB).toContain('(encrypted)');
    expect(onB).not.toContain('first report.pdf');
    const unlocked = json<{ file_id: string; name: string }[]>(expectOk(await run(['files', 'list', '--unlock', '--json'], b, { COFFER_VAULT_PASSWORD: VAULT_PASSWORD })));
    expect(unlocked.find((f) => f.file_id === first.file_id)?.name).toBe('first report.pdf');
  });

  it('decrypts on device B (another COFFER_HOME) with the vault password from COFFER_VAULT_PASSWORD, byte-exact, under the real name', async () => {
    const out = json(expectOk(await run(['decrypt', first.link, '--vault', '--json'], b, { COFFER_VAULT_PASSWORD: VAULT_PASSWORD })));
    expect(out).toMatchObject({ file_name: 'first report.pdf', verified: true, path: join(b.home, 'first report.pdf') });
    expect((await readFile(join(b.home, 'first report.pdf'))).equals(firstBytes)).toBe(true);
    expect(json(expectOk(await run(['keys', 'status', '--json'], b)))).toMatchObject({ pin: 'pinned' });
  });

  it('refuses a wrong vault password on B with exit 1', async () => {
    const failed = await run(['decrypt', first.link, join(root, 'wrong-password.bin'), '--vault'], b, { COFFER_VAULT_PASSWORD: 'not the vault password' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^coffer: cannot unlock your account key: wrong vault password\n/);
  });

  let second: Uploaded;
  const secondBytes = randomBytes(70_000);

  it('changes the vault password on B; A still uploads without a password and B decrypts with the new one', async () => {
    const changed = json(expectOk(await run(['keys', 'password', '--json'], b, { COFFER_VAULT_PASSWORD: VAULT_PASSWORD, COFFER_NEW_VAULT_PASSWORD: NEW_VAULT_PASSWORD })));
    expect(changed).toMatchObject({ changed: true, version: 2 });
    second = await upload(a, 'second.bin', secondBytes);
    const dest = join(root, 'second-out.bin');
    expectOk(await run(['decrypt', second.link, dest, '--vault'], b, { COFFER_VAULT_PASSWORD: NEW_VAULT_PASSWORD }));
    expect((await readFile(dest)).equals(secondBytes)).toBe(true);
    const old = await run(['decrypt', second.link, join(root, 'second-old.bin'), '--vault'], b, { COFFER_VAULT_PASSWORD: VAULT_PASSWORD });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('wrong vault password');
  });

  it('a changed password written from a stale read is refused (409), nothing written', async () => {
    const before = await t.database.prisma.accountKey.findUniqueOrThrow({ where: { userId } });
    const { access_token: token } = JSON.parse(await readFile(join(b.home, 'credentials.json'), 'utf8'));
    const stale = await fetch(`${t.baseUrl}/api/keys`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: before.publicKey, bundle: before.bundle, version: before.version - 1 }),
    });
    expect(stale.status).toBe(409);
    expect(await t.database.prisma.accountKey.findUniqueOrThrow({ where: { userId } })).toEqual(before);
  });

  it('recovers on device C with the recovery code made on B: new password, pinned, decrypts', async () => {
    const made = json(expectOk(await run(['keys', 'recovery', '--json'], b, { COFFER_VAULT_PASSWORD: NEW_VAULT_PASSWORD })));
    expect(made.recovery_code).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
    const human = expectOk(await run(['keys', 'status'], b)).stdout;
    expect(human).toContain('a recovery code is set');
    // Malformed (too short, or a letter Crockford's base32 does not have): a usage error, exit 2.
    for (const malformed of ['1234-5678', made.recovery_code.replace(/^./, 'U')]) {
      const refused = await run(['keys', 'recover'], c, { COFFER_RECOVERY_CODE: malformed, COFFER_NEW_VAULT_PASSWORD: RECOVERED_PASSWORD });
      expect(refused.stderr).toMatch(/^coffer: the recovery code is malformed: it has 32 characters from /);
      expect(refused.code).toBe(2);
    }
    // Well-formed but wrong: a failure, exit 1.
    const wrong = await run(['keys', 'recover'], c, { COFFER_RECOVERY_CODE: '0000-0000-0000-0000-0000-0000-0000-0000', COFFER_NEW_VAULT_PASSWORD: RECOVERED_PASSWORD });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^coffer: cannot unlock your account key: wrong recovery code\n/);
    // Typed in lower case, without dashes: still the code.
    const typed = made.recovery_code.replace(/-/g, '').toLowerCase();
    expectOk(await run(['keys', 'recover'], c, { COFFER_RECOVERY_CODE: typed, COFFER_NEW_VAULT_PASSWORD: RECOVERED_PASSWORD }));
    expect(json(expectOk(await run(['keys', 'status', '--json'], c)))).toMatchObject({ pin: 'pinned', recovery_code_set: true });
    const dest = join(root, 'first-on-c.bin');
    // By the file's id prefix instead of the link: one of the caller's own files.
    expectOk(await run(['decrypt', first.file_id.slice(0, 8), dest, '--vault'], c, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD }));
    expect((await readFile(dest)).equals(firstBytes)).toBe(true);
  });

  it('refuses to seal to a public key the server swapped (direct SQL in the test database): exit 1, nothing uploaded', async () => {
    const before = await t.database.prisma.accountKey.findUniqueOrThrow({ where: { userId } });
    const attacker = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    await t.database.prisma.$executeRaw`UPDATE account_keys SET public_key = ${attacker} WHERE user_id = ${userId}::uuid`;
    try {
      const count = await t.database.prisma.file.count({ where: { userId } });
      await writeFile(join(files, 'secret.bin'), randomBytes(1000));
      const refused = await run(['upload', join(files, 'secret.bin')], a);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("coffer: the server's account key changed");
      expect(refused.stderr).toContain('refusing to seal new keys to it');
      expect(await t.database.prisma.file.count({ where: { userId } })).toBe(count);
      // The binary starts a large file's encryption worker before the key check (issue 16,
      // start-up): the check still comes before any presign, so nothing reaches the server.
      await writeFile(join(files, 'large-secret.bin'), randomBytes(9 * 1024 * 1024));
      const large = await run(['upload', join(files, 'large-secret.bin')], { ...a, entry: CLI });
      expect(large.code).toBe(1);
      expect(large.stderr).toContain("coffer: the server's account key changed");
      expect(await t.database.prisma.file.count({ where: { userId } })).toBe(count);
      expect(json(expectOk(await run(['keys', 'status', '--json'], a)))).toMatchObject({ pin: 'mismatch' });
      // Unlocking does not re-pin either.
      const decrypt = await run(['decrypt', first.link, join(root, 'swapped.bin'), '--vault'], c, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD });
      expect(decrypt.code).toBe(1);
      expect(decrypt.stderr).toContain("the server's account key changed");
    } finally {
      await t.database.prisma.$executeRaw`UPDATE account_keys SET public_key = ${before.publicKey} WHERE user_id = ${userId}::uuid`;
    }
  });

  it('refuses to fall back to the local vault when the pinning server claims to keep no account keys (404 on GET /api/keys)', async () => {
    // The same server turned hostile, as a stock Hashdrop server answers: a proxy in front of it
    // answers GET /api/keys with a bare 404 and forwards the rest; device D is device A's home
    // (login and pin) moved to the proxy's address.
    const proxy = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/api/keys')) {
        res.writeHead(404).end();
        return;
      }
      const target = new URL(t.baseUrl);
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const d: CliOptions = { ...a, home: join(root, 'device-d'), cwd: join(root, 'device-d'), server: proxyUrl };
      await cp(a.home, d.home, { recursive: true });
      for (const name of ['credentials.json', 'keys.json']) {
        const text = await readFile(join(d.home, name), 'utf8');
        expect(text).toContain(t.baseUrl);
        await writeFile(join(d.home, name), text.split(t.baseUrl).join(proxyUrl), { mode: 0o600 });
      }
      const count = await t.database.prisma.file.count({ where: { userId } });
      await writeFile(join(files, 'downgraded.bin'), randomBytes(1000));
      const refused = await run(['upload', join(files, 'downgraded.bin')], d, { COFFER_VAULT_PASSWORD: 'a local vault password' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('coffer: the server answers that it keeps no account keys, but this device pinned');
      expect(await t.database.prisma.file.count({ where: { userId } })).toBe(count);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  describe('a wrong key or passphrase before the counted download (issue 15)', () => {
    it('says "wrong key" without downloading: the download count does not move', async () => {
      const wrongKey = randomBytes(32).toString('base64');
      for (let i = 0; i < 3; i++) {
        const failed = await run(['decrypt', second.link, join(root, `wrong-key-${i}.bin`), '--key', wrongKey], recipient);
        expect(failed.code).toBe(1);
        expect(failed.stderr).toBe('coffer: decryption failed: wrong key\nNothing was downloaded. Use the key exactly as `coffer share` printed it for this file.\n');
      }
      const countBefore = await downloads(second.file_id);
      expect(countBefore).toBe(1); // B's one successful decrypt above
      const key = json(expectOk(await run(['share', second.file_id, '--json'], c, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD }))).key as string;
      const dest = join(root, 'second-by-key.bin');
      expectOk(await run(['decrypt', second.link, dest, '--key', key], recipient));
      expect((await readFile(dest)).equals(secondBytes)).toBe(true);
      expect(await downloads(second.file_id)).toBe(2);
    });

    it('says "wrong passphrase" without downloading, and decrypts the encrypted name with the right one', async () => {
      await writeFile(join(files, 'passphrase.txt'), PASSPHRASE);
      const bytes = randomBytes(50_000);
      const file = await upload(a, 'by passphrase.txt', bytes, {}, ['--passphrase-file', join(files, 'passphrase.txt')]);
      expect(await fileRow(file.file_id)).toMatchObject({ fileName: 'encrypted', plaintextHash: '', sealedKey: null });
      for (let i = 0; i < 3; i++) {
        const failed = await run(['decrypt', file.link], recipient, { COFFER_PASSPHRASE: `not the passphrase ${i}` });
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(/^coffer: decryption failed: wrong passphrase\nNothing was downloaded\./);
      }
      expect(await downloads(file.file_id)).toBe(0);
      const out = json(expectOk(await run(['decrypt', file.link, '--json'], recipient, { COFFER_PASSPHRASE: PASSPHRASE })));
      expect(out).toMatchObject({ file_name: 'by passphrase.txt', verified: true });
      expect((await readFile(join(recipient.home, 'by passphrase.txt'))).equals(bytes)).toBe(true);
      expect(await downloads(file.file_id)).toBe(1);
    });
  });

  it('two devices creating the account key at once end with one key, pinned on both', async () => {
    const other = `cli-keys-race-${randomBytes(4).toString('hex')}@example.com`;
    const [x, y] = [device('race-x'), device('race-y')];
    await Promise.all([mkdir(x.home), mkdir(y.home)]);
    expectOk(await run(['auth', 'register', '--email', other], x));
    expectOk(await run(['auth', 'verify', '--email', other, '--code', await t.mail.codeFor(other)], x));
    for (const d of [x, y]) expectOk(await run(['auth', 'login', '--email', other], d));
    const env = { COFFER_VAULT_PASSWORD: VAULT_PASSWORD };
    const [one, two] = await Promise.all([run(['keys', 'init', '--json'], x, env), run(['keys', 'init', '--json'], y, env)]);
    const fingerprints = [json(expectOk(one)).fingerprint, json(expectOk(two)).fingerprint];
    expect(fingerprints[0]).toBe(fingerprints[1]);
  });

  describe('keys sync', () => {
    let legacy: CliOptions;
    const oldBytes = randomBytes(100_000);
    let old: Uploaded;

    beforeAll(async () => {
      // A device with a local vault whose keys predate account keys: its upload also records the
      // key in vault.enc, then the sealed key is removed, as for a file uploaded before.
      legacy = device('device-legacy');
      await mkdir(legacy.home);
      expectOk(await run(['auth', 'login', '--email', email], legacy));
      await Vault.create(join(legacy.home, 'vault'), RECOVERED_PASSWORD, { kdf: FAST_KDF.vault, bounds: FAST_KDF.bounds });
      old = await upload(legacy, 'old.bin', oldBytes, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD });
      await t.database.prisma.$executeRaw`UPDATE files SET sealed_key = NULL WHERE id = ${old.file_id}::uuid`;
      // A key whose file is not on the server (deleted meanwhile): left alone.
      const vault = await Vault.open(join(legacy.home, 'vault'), RECOVERED_PASSWORD, { bounds: FAST_KDF.bounds });
      await vault.put('00000000-0000-4000-8000-000000000000', randomBytes(32));
    });

    it('seals the keys of the local vault on the server and writes sealed keys into vault.enc; a second run changes nothing', async () => {
      const env = { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD };
      const vaultDir = join(legacy.home, 'vault');
      const inVaultBefore = await (await Vault.open(vaultDir, RECOVERED_PASSWORD, { bounds: FAST_KDF.bounds })).list();
      expect(inVaultBefore).not.toContain(first.file_id);
      const synced = json(expectOk(await run(['keys', 'sync', '--json'], legacy, env)));
      expect(synced).toMatchObject({ sealed: 1, skipped: 1, local_vault: true });
      expect(synced.written_to_vault).toBeGreaterThanOrEqual(2);
      expect((await fileRow(old.file_id)).sealedKey).toMatch(/^[A-Za-z0-9+/]{108}$/);
      const vault = await Vault.open(vaultDir, RECOVERED_PASSWORD, { bounds: FAST_KDF.bounds });
      expect(await vault.list()).toEqual(expect.arrayContaining([first.file_id, second.file_id, old.file_id]));

      const vaultBytes = await readFile(join(vaultDir, 'vault.enc'));
      const sealedBefore = (await t.database.prisma.file.findMany({ where: { userId }, select: { id: true, sealedKey: true }, orderBy: { id: 'asc' } }));
      const again = json(expectOk(await run(['keys', 'sync', '--json'], legacy, env)));
      expect(again).toMatchObject({ sealed: 0, written_to_vault: 0 });
      expect((await readFile(join(vaultDir, 'vault.enc'))).equals(vaultBytes)).toBe(true);
      expect(await t.database.prisma.file.findMany({ where: { userId }, select: { id: true, sealedKey: true }, orderBy: { id: 'asc' } })).toEqual(sealedBefore);

      // Resumable: a file whose sealed key is still missing (as after a run cut short) is sealed by the next run, and only it.
      await t.database.prisma.$executeRaw`UPDATE files SET sealed_key = NULL WHERE id = ${old.file_id}::uuid`;
      expect(json(expectOk(await run(['keys', 'sync', '--json'], legacy, env)))).toMatchObject({ sealed: 1, written_to_vault: 0 });
      const resealed = await t.database.prisma.file.findMany({ where: { userId }, select: { id: true, sealedKey: true }, orderBy: { id: 'asc' } });
      expect(resealed.filter((f) => f.id !== old.file_id)).toEqual(sealedBefore.filter((f) => f.id !== old.file_id));
      expect(resealed.find((f) => f.id === old.file_id)?.sealedKey).toMatch(/^[A-Za-z0-9+/]{108}$/);

      // The migrated key opens on another device.
      const dest = join(root, 'old-on-b.bin');
      expectOk(await run(['decrypt', old.link, dest, '--vault'], b, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD }));
      expect((await readFile(dest)).equals(oldBytes)).toBe(true);
    });

    it('keys password re-encrypts a local vault that had the same password (atomically, 0600, every key kept); the stock client then opens it with the new one', async () => {
      const vaultDir = join(legacy.home, 'vault');
      const entries = await (await Vault.open(vaultDir, RECOVERED_PASSWORD, { bounds: FAST_KDF.bounds })).list();
      const meta = await readFile(join(vaultDir, 'vault_meta.json'));
      const changed = expectOk(await run(['keys', 'password', '--json'], legacy, { COFFER_VAULT_PASSWORD: RECOVERED_PASSWORD, COFFER_NEW_VAULT_PASSWORD: VAULT_CHANGED_PASSWORD }));
      expect(json(changed)).toMatchObject({ changed: true, local_vault: 'changed' });
      await expect(Vault.open(vaultDir, RECOVERED_PASSWORD, { bounds: FAST_KDF.bounds })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
      expect(await (await Vault.open(vaultDir, VAULT_CHANGED_PASSWORD, { bounds: FAST_KDF.bounds })).list()).toEqual(entries);
      // Only vault.enc was rewritten: same salt and parameters, nothing left over.
      expect(await readFile(join(vaultDir, 'vault_meta.json'))).toEqual(meta);
      expect(mode(await stat(join(vaultDir, 'vault.enc')))).toBe(0o600);
      expect((await readdir(vaultDir)).sort()).toEqual(['vault.enc', 'vault_meta.json']);
      // Uploads keep recording keys in it with the new password; another device decrypts with it too.
      const after = await upload(legacy, 'after-change.bin', randomBytes(5000), { COFFER_VAULT_PASSWORD: VAULT_CHANGED_PASSWORD });
      expect(await (await Vault.open(vaultDir, VAULT_CHANGED_PASSWORD, { bounds: FAST_KDF.bounds })).get(after.file_id)).toBeDefined();
      expectOk(await run(['decrypt', after.link, join(root, 'after-change-on-b.bin'), '--vault'], b, { COFFER_VAULT_PASSWORD: VAULT_CHANGED_PASSWORD }));
    });

    it('keys password leaves a local vault with a password of its own as it is, and says so', async () => {
      const otherDir = join(c.home, 'vault');
      await Vault.create(otherDir, 'the vault password of c', { kdf: FAST_KDF.vault, bounds: FAST_KDF.bounds });
      const before = await readFile(join(otherDir, 'vault.enc'));
      const changed = expectOk(await run(['keys', 'password'], c, { COFFER_VAULT_PASSWORD: VAULT_CHANGED_PASSWORD, COFFER_NEW_VAULT_PASSWORD: FINAL_PASSWORD }));
      expect(changed.stdout).toContain(`The local vault in ${otherDir} has a password of its own, not your account key's old one: it was left as it is`);
      expect(await readFile(join(otherDir, 'vault.enc'))).toEqual(before);
      await Vault.open(otherDir, 'the vault password of c', { bounds: FAST_KDF.bounds });
      // The account key did change.
      expectOk(await run(['decrypt', first.link, join(root, 'first-final.bin'), '--vault'], b, { COFFER_VAULT_PASSWORD: FINAL_PASSWORD }));
    });
  });
});
