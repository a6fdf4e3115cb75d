import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Vault } from '@coffer/crypto';
import { startTestApp, type StorageKind, type TestApp } from '../../../test/helpers/test-app';
import { FULL_TIER } from '../../../test/helpers/test-tier';
import { CLI, coffer, FAST_KDF_CLI, json, type CliOptions, type CliRun } from './cli-runner';
import { FAST_KDF } from './coffer-fast-kdf';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password 1234';
const PASSPHRASE = 'a passphrase of some length';

interface Uploaded {
  ok: boolean;
  file_id: string;
  file_name: string;
  link: string;
  mode: 'vault' | 'passphrase';
  size_bytes: number;
}

function expectOk(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`coffer exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

function mode(info: { mode: number }): number {
  return info.mode & 0o777;
}

/** Object key of a share link: the last two path segments. */
function objectKey(link: string): string {
  return new URL(link).pathname.split('/').slice(-2).join('/');
}

/** Replaces a stored object by other bytes, through the storage driver's own means. */
async function overwriteObject(t: TestApp, key: string, bytes: Buffer): Promise<void> {
  if (t.config.storage.driver === 'fs') {
    await writeFile(join(t.config.storage.root, ...key.split('/')), bytes);
    return;
  }
  const put = await t.store.presignPut(key, { contentLength: bytes.length, expiresInSec: 60 });
  const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

async function readObject(t: TestApp, key: string): Promise<Buffer> {
  const get = await t.store.presignGet(key, { expiresInSec: 60 });
  const res = await fetch(get.url, { headers: get.headers });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * A blob as the stock Hashdrop client writes it: the same frames, but a random nonce per frame
 * (no structured nonces, no key commitment).
 */
function legacyBlob(plaintext: Buffer, key: Buffer): Buffer {
  const frames: Buffer[] = [];
  for (let offset = 0; offset === 0 || offset < plaintext.length; offset += 65_536) {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const body = Buffer.concat([cipher.update(plaintext.subarray(offset, offset + 65_536)), cipher.final(), cipher.getAuthTag()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    frames.push(nonce, length, body);
  }
  return Buffer.concat(frames);
}

/**
 * `npm test`: every test on fs storage through FAST_KDF_CLI, and a smoke set on s3 through the
 * binary at production Argon2id cost. `npm run test:full`: every test on both, through the binary.
 */
const runs: { storage: StorageKind; smoke: boolean; entry: string }[] = FULL_TIER
  ? [{ storage: 'fs', smoke: false, entry: CLI }, { storage: 's3', smoke: false, entry: CLI }]
  : [{ storage: 'fs', smoke: false, entry: FAST_KDF_CLI }, { storage: 's3', smoke: true, entry: CLI }];
/** Vaults made by either entry open with these bounds (FAST_KDF's include the production ones). */
const ANY_VAULT = { bounds: FAST_KDF.bounds };

describe.each(runs)('the coffer CLI against a live server ($storage storage, smoke set only: $smoke)', ({ storage, smoke, entry }) => {
  // Outside the smoke set: skipped on the smoke run (they ran in full on the other storage).
  const full = smoke ? it.skip : it;
  const describeFull = smoke ? describe.skip : describe;
  let t: TestApp;
  let root: string;
  let owner: CliOptions;
  let recipient: CliOptions;
  let files: string;
  const email = `cli-${storage}-${randomBytes(4).toString('hex')}@example.com`;
  const ownerEnv = { COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };

  // 3 full chunks and a partial one: several frames, and a final frame that is not full.
  const vaultBytes = randomBytes(3 * 65_536 + 5);
  const passphraseBytes = randomBytes(200_001);
  let vaultFile: Uploaded;
  let passphraseFile: Uploaded;

  beforeAll(async () => {
    t = await startTestApp({ storage, env: { DAILY_DOWNLOAD_LIMIT: '100' } });
    root = await mkdtemp(join(tmpdir(), `coffer-cli-e2e-${storage}-`));
    owner = { home: join(root, 'owner-home'), server: t.baseUrl, entry };
    recipient = { home: join(root, 'recipient-home'), cwd: join(root, 'recipient-home'), entry };
    files = join(root, 'files');
    await Promise.all([mkdir(recipient.home), mkdir(files)]);
    await writeFile(join(files, 'vault-file.bin'), vaultBytes);
    await writeFile(join(files, 'passphrase file.bin'), passphraseBytes);
    await writeFile(join(files, 'passphrase.txt'), `${PASSPHRASE}\n`);
  });

  afterAll(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const run = (args: string[], options: CliOptions = owner, env: Record<string, string> = ownerEnv) =>
    coffer(args, { ...options, env: { ...env, ...options.env } });

  describe('account', () => {
    it('registers, verifies with the e-mailed code and logs in', async () => {
      const registered = expectOk(await run(['auth', 'register', '--email', email]));
      expect(registered.stdout).toContain(`coffer auth verify --email ${email}`);
      const code = await t.mail.codeFor(email);
      expectOk(await run(['auth', 'verify', '--email', email, '--code', code]));
      const login = json(expectOk(await run(['auth', 'login', '--email', email, '--json'])));
      expect(login).toEqual({ email, server: t.baseUrl, logged_in: true });
    });

    full('keeps its state private: directory 0700, credentials 0600', async () => {
      expect(mode(await stat(owner.home))).toBe(0o700);
      expect(mode(await stat(join(owner.home, 'credentials.json')))).toBe(0o600);
    });

    full('refuses a wrong password with exit 1 and a hint', async () => {
      const failed = await run(['auth', 'login', '--email', email], { ...owner, home: join(root, 'other-home') }, { COFFER_PASSWORD: 'wrong password' });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^coffer: login failed: wrong e-mail or password/);
    });

    full('fails at once, with a hint, when a secret is needed and there is no terminal', async () => {
      const failed = await run(['auth', 'login', '--email', email], { ...owner, home: join(root, 'other-home') }, {});
      expect(failed.code).toBe(2);
      expect(failed.stderr).toBe('coffer: no password given and no terminal to ask for it\nSet COFFER_PASSWORD, or use --password-stdin.\n');
    });
  });

  describe('upload', () => {
    it('uploads in vault mode and prints the share link', async () => {
      const out = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'vault-file.bin'), '--json'])));
      expect(out).toHaveLength(1);
      vaultFile = out[0];
      expect(vaultFile).toMatchObject({ ok: true, file_name: 'vault-file.bin', mode: 'vault', size_bytes: vaultBytes.length });
      expect(vaultFile.link).toMatch(new RegExp(`^${t.baseUrl}/files/download/usrh-[0-9a-f]{32}/${vaultFile.file_id}$`));
      // The key is sealed to the account key created by this first upload, pinned here; no local vault is made.
      expect(mode(await stat(join(owner.home, 'keys.json')))).toBe(0o600);
      await expect(stat(join(owner.home, 'vault'))).rejects.toThrow();
    });

    it('stores only ciphertext: the object is the blob of the file, not the file', async () => {
      const blob = await readObject(t, objectKey(vaultFile.link));
      expect(blob.length).toBe(vaultBytes.length + 32 * 4);
      expect(blob.includes(vaultBytes.subarray(0, 64))).toBe(false);
    });

    it('uploads in passphrase mode with the passphrase from a file', async () => {
      const out = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'passphrase file.bin'), '--passphrase-file', join(files, 'passphrase.txt'), '--name', 'shared.bin', '--json'])));
      passphraseFile = out[0];
      expect(passphraseFile).toMatchObject({ ok: true, file_name: 'shared.bin', mode: 'passphrase', size_bytes: passphraseBytes.length });
    });

    full('reports each file of a batch and exits 1 when one failed', async () => {
      const batch = await run(['upload', join(files, 'vault-file.bin'), join(files, 'missing.bin'), '--json']);
      expect(batch.code).toBe(1);
      const out = json<{ ok: boolean; path: string }[]>(batch);
      expect(out.map((o) => o.ok)).toEqual([true, false]);
      expect(batch.stderr).toContain(`coffer: upload of ${join(files, 'missing.bin')} failed: no such file`);
    });

    full('keeps writing an existing local vault (for the stock client) when its password is given; one that cannot be opened only costs a warning', async () => {
      // A vault from before account keys, with the same password.
      await Vault.create(join(owner.home, 'vault'), VAULT_PASSWORD, { bounds: FAST_KDF.bounds });
      // Above 8 MiB: the worker path, with the PUT under way while the vault unlocks.
      await writeFile(join(files, 'recorded.bin'), randomBytes(12 * 1024 * 1024));
      const [recorded] = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'recorded.bin'), '--json'])));
      const vault = await Vault.open(join(owner.home, 'vault'), VAULT_PASSWORD, ANY_VAULT);
      expect(await vault.get(recorded.file_id)).toBeDefined();
      const vaultBefore = await readFile(join(owner.home, 'vault', 'vault.enc'));
      const warned = await run(['upload', join(files, 'vault-file.bin'), '--json'], owner, { ...ownerEnv, COFFER_VAULT_PASSWORD: 'not the vault password' });
      expect(warned.code).toBe(0);
      expect(warned.stderr).toContain('coffer: warning: the key was not recorded in the local vault (cannot open the key vault: wrong vault password');
      expect(warned.stderr).toContain('`coffer keys sync`');
      expect((await readFile(join(owner.home, 'vault', 'vault.enc'))).equals(vaultBefore)).toBe(true);
      // Without the password at hand the vault is left alone, silently.
      const silent = await run(['upload', join(files, 'vault-file.bin')], owner, { COFFER_PASSWORD: PASSWORD });
      expect(silent.code).toBe(0);
      expect(silent.stderr).not.toContain('warning');
    });
  });

  describe('files', () => {
    full('lists the files with short ids', async () => {
      const list = json<{ file_id: string; status: string }[]>(expectOk(await run(['files', 'list', '--json'])));
      expect(list.map((f) => f.file_id)).toEqual(expect.arrayContaining([vaultFile.file_id, passphraseFile.file_id]));
      expect(list.every((f) => f.status === 'uploaded')).toBe(true);
      const human = expectOk(await run(['files', 'list']));
      expect(human.stdout).toContain(vaultFile.file_id.slice(0, 8));
      expect(human.stdout).toContain('shared.bin');
    });

    full('shows a file by id prefix, with its link, and the key on request', async () => {
      const shown = json(expectOk(await run(['files', 'show', vaultFile.file_id.slice(0, 8), '--reveal-key', '--json'])));
      expect(shown).toMatchObject({ file_id: vaultFile.file_id, status: 'uploaded', key_management_mode: 'vault', link: vaultFile.link, plaintext_size_bytes: vaultBytes.length });
      expect(Buffer.from(shown.key, 'base64')).toHaveLength(32);
    });

    full('refuses an id with characters the API does not accept (exit 2)', async () => {
      const failed = await run(['files', 'show', 'zz%']);
      expect(failed.code).toBe(2);
    });

    full('shows the usage', async () => {
      const usage = json(expectOk(await run(['usage', '--json'])));
      expect(usage.file_count).toBeGreaterThanOrEqual(3);
      expect(usage.used_bytes).toBeGreaterThan(vaultBytes.length);
    });
  });

  describe('share and decrypt', () => {
    let vaultKey: string;

    it('share gives the link and, for vault mode, the key', async () => {
      const share = json(expectOk(await run(['share', vaultFile.file_id.slice(0, 8), '--json'])));
      expect(share).toMatchObject({ file_id: vaultFile.file_id, mode: 'vault', link: vaultFile.link });
      vaultKey = share.key;
      const passphraseShare = json(expectOk(await run(['share', passphraseFile.file_id, '--json'])));
      expect(passphraseShare.key).toBeUndefined();
      expect(passphraseShare.link).toBe(passphraseFile.link);
    });

    full('decrypts as the owner, from the vault, under the original name with mode 0600', async () => {
      const dest = join(root, 'owner-out');
      await mkdir(dest);
      const out = json(expectOk(await run(['decrypt', vaultFile.link, dest, '--json'])));
      expect(out).toMatchObject({ path: join(dest, 'vault-file.bin'), verified: true, legacy: false, size_bytes: vaultBytes.length });
      expect((await readFile(join(dest, 'vault-file.bin'))).equals(vaultBytes)).toBe(true);
      expect(mode(await stat(join(dest, 'vault-file.bin')))).toBe(0o600);
    });

    it('decrypts as a recipient without account: vault mode with --key', async () => {
      const dest = join(recipient.home, 'from-key.bin');
      expectOk(await run(['decrypt', vaultFile.link, dest, '--key', vaultKey], recipient, {}));
      expect((await readFile(dest)).equals(vaultBytes)).toBe(true);
      await expect(stat(join(recipient.home, 'credentials.json'))).rejects.toThrow();
    });

    it('decrypts as a recipient: passphrase mode with the passphrase', async () => {
      expectOk(await run(['decrypt', passphraseFile.link], recipient, { COFFER_PASSPHRASE: PASSPHRASE }));
      expect((await readFile(join(recipient.home, 'shared.bin'))).equals(passphraseBytes)).toBe(true);
    });

    full('never overwrites an existing file without --force', async () => {
      const refused = await run(['decrypt', passphraseFile.link], recipient, { COFFER_PASSPHRASE: PASSPHRASE });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('already exists');
      await writeFile(join(recipient.home, 'shared.bin'), 'old');
      expectOk(await run(['decrypt', passphraseFile.link, '--force'], recipient, { COFFER_PASSPHRASE: PASSPHRASE }));
      expect((await readFile(join(recipient.home, 'shared.bin'))).equals(passphraseBytes)).toBe(true);
    });

    full('refuses a wrong passphrase and a wrong key, each named, leaving no file', async () => {
      const dest = join(root, 'wrong-key-out');
      await mkdir(dest);
      const wrongPassphrase = await run(['decrypt', passphraseFile.link, dest], recipient, { COFFER_PASSPHRASE: 'not the passphrase at all' });
      const wrongKey = await run(['decrypt', vaultFile.link, dest, '--key', randomBytes(32).toString('base64')], recipient, {});
      expect(wrongPassphrase.stderr).toMatch(/^coffer: decryption failed: wrong passphrase\n/);
      expect(wrongKey.stderr).toMatch(/^coffer: decryption failed: wrong key\n/);
      for (const failed of [wrongPassphrase, wrongKey]) {
        expect(failed.code).toBe(1);
      }
      expect(await readdir(dest)).toEqual([]);
    });

    full('asks for the key when a vault-mode link is decrypted without one and without a vault', async () => {
      const failed = await run(['decrypt', vaultFile.link, join(root, 'nokey.bin')], recipient, {});
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('--key');
    });
  });

  describeFull('a damaged blob', () => {
    let file: Uploaded;
    let key: string;
    let blob: Buffer;
    const bytes = randomBytes(2 * 65_536 + 100);

    beforeAll(async () => {
      await writeFile(join(files, 'victim.bin'), bytes);
      [file] = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'victim.bin'), '--json'])));
      key = json(expectOk(await run(['share', file.file_id, '--json']))).key;
      blob = await readObject(t, objectKey(file.link));
    });

    async function decryptInto(name: string): Promise<{ run: CliRun; dir: string }> {
      const dir = join(root, name);
      await mkdir(dir);
      return { run: await run(['decrypt', file.link, dir, '--key', key], recipient, {}), dir };
    }

    it('with a flipped byte is refused: exit 1, no output file, no temp file', async () => {
      const tampered = Buffer.from(blob);
      tampered[65_536 + 40] ^= 0x01;
      await overwriteObject(t, objectKey(file.link), tampered);
      const { run: failed, dir } = await decryptInto('tampered-out');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('decryption failed');
      expect(await readdir(dir)).toEqual([]);
    });

    it('cut short is refused: exit 1, no output file, no temp file', async () => {
      await overwriteObject(t, objectKey(file.link), blob.subarray(0, 65_536 + 32 + 1000));
      const { run: failed, dir } = await decryptInto('truncated-out');
      expect(failed.code).toBe(1);
      expect(await readdir(dir)).toEqual([]);
    });

    it('cut at a frame boundary (a whole final frame dropped) is refused too', async () => {
      await overwriteObject(t, objectKey(file.link), blob.subarray(0, 2 * (65_536 + 32)));
      const { run: failed, dir } = await decryptInto('dropped-frame-out');
      expect(failed.code).toBe(1);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  full('uploads and decrypts an empty file (one empty final frame)', async () => {
    await writeFile(join(files, 'empty.txt'), '');
    const [empty] = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'empty.txt'), '--json'])));
    expect(empty).toMatchObject({ size_bytes: 0, encrypted_size_bytes: 32 });
    const dest = join(root, 'empty-out.txt');
    expectOk(await run(['decrypt', empty.link, dest]));
    expect((await stat(dest)).size).toBe(0);
  });

  it('uploads a file above 8 MiB on the worker path (read and hashed by the worker, encrypted and sent by the main thread) and decrypts it', async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 12_345);
    await writeFile(join(files, 'large.bin'), bytes);
    const [large] = json<Uploaded[]>(expectOk(await run(['upload', join(files, 'large.bin'), '--json'])));
    expect(large).toMatchObject({ size_bytes: bytes.length, plaintext_sha256: createHash('sha256').update(bytes).digest('hex') });
    const dest = join(root, 'large-out.bin');
    expectOk(await run(['decrypt', large.link, dest, '--vault']));
    expect((await readFile(dest)).equals(bytes)).toBe(true);
  });

  full('fails an upload whose file gets shorter while it is read: exit 1, the pending file and its key discarded', async () => {
    const path = join(files, 'shrinking.bin');
    // Sparse, so it costs no disk; large enough that reading it is still under way when it is cut.
    await writeFile(path, '');
    await truncate(path, 512 * 1024 * 1024);
    // The server knows the file only by its neutral name: the new pending row is the one.
    const earlier = (await t.database.prisma.file.findMany({ select: { id: true } })).map((f) => f.id);
    const upload = run(['upload', path, '--json']);
    let settled = false;
    const done = () => (settled = true);
    void upload.then(done, done);
    // Cut once the server has handed out the upload URL: the file's row then exists, pending.
    let row = null;
    while (!row && !settled) {
      row = await t.database.prisma.file.findFirst({ where: { fileName: 'encrypted', status: 'pending', id: { notIn: earlier } } });
      if (!row) await sleep(5);
    }
    if (!row) throw new Error(`the upload ended before its presign was seen:\n${(await upload).stderr}`);
    await truncate(path, 1024 * 1024);
    const result = await upload;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`coffer: ${path} changed while it was read`);
    expect(result.stderr).toContain('Upload it again once it no longer changes.');
    const after = await t.database.prisma.file.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.status).toBe('deleted');
    expect(await t.store.head(row.objectKey)).toBeUndefined();
    const vault = await Vault.open(join(owner.home, 'vault'), VAULT_PASSWORD, ANY_VAULT);
    expect(await vault.get(row.id)).toBeUndefined();
  });

  full('keeps the keys of two concurrent uploads from one COFFER_HOME', async () => {
    await writeFile(join(files, 'one.bin'), randomBytes(300_000));
    await writeFile(join(files, 'two.bin'), randomBytes(300_001));
    const [one, two] = await Promise.all([run(['upload', join(files, 'one.bin'), '--json']), run(['upload', join(files, 'two.bin'), '--json'])]);
    const uploads = [json<Uploaded[]>(expectOk(one))[0], json<Uploaded[]>(expectOk(two))[0]];
    const dest = join(root, 'concurrent-out');
    await mkdir(dest);
    for (const upload of uploads) {
      expectOk(await run(['decrypt', upload.link, dest, '--vault']));
      expect((await readFile(join(dest, upload.file_name))).equals(await readFile(join(files, upload.file_name)))).toBe(true);
    }
  });

  full('decrypts a legacy (Hashdrop-written) blob, with the warning that order and completeness are not proven', async () => {
    const { access_token: token } = JSON.parse(await readFile(join(owner.home, 'credentials.json'), 'utf8'));
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const plaintext = randomBytes(65_536 + 77);
    const key = randomBytes(32);
    const blob = legacyBlob(plaintext, key);
    const presignBody = { file_name: 'legacy.bin', mime_type: 'application/octet-stream', size: blob.length };
    const presignAnswer = await fetch(`${t.baseUrl}/api/files/presign`, { method: 'POST', headers: auth, body: JSON.stringify(presignBody) });
    const presigned = (await presignAnswer.json()) as { file_id: string; upload_resource: { url: string; headers: Record<string, string> } };
    const put = await fetch(presigned.upload_resource.url, { method: 'PUT', headers: presigned.upload_resource.headers, body: blob });
    expect(put.status).toBe(200);
    const completeBody = { file_id: presigned.file_id, plaintext_hash: createHash('sha256').update(plaintext).digest('hex'), plaintext_size_bytes: plaintext.length, passphrase_salt: '' };
    const completeAnswer = await fetch(`${t.baseUrl}/api/files/complete`, { method: 'POST', headers: auth, body: JSON.stringify(completeBody) });
    const completed = (await completeAnswer.json()) as { s3_object_key: string };
    const link = `${t.baseUrl}/files/download/${completed.s3_object_key}`;
    const dest = join(root, 'legacy.bin');
    const decrypted = expectOk(await run(['decrypt', link, dest, '--key', key.toString('base64')], recipient, {}));
    expect((await readFile(dest)).equals(plaintext)).toBe(true);
    expect(decrypted.stderr).toContain('order and completeness not proven; the plaintext hash matched');
    expect(decrypted.stderr).toContain('no key commitment');
  });

  describe('cleanup', () => {
    it('deletes a file by prefix; its link stops working', async () => {
      const deleted = json(expectOk(await run(['files', 'delete', passphraseFile.file_id.slice(0, 8), '--yes', '--json'])));
      expect(deleted).toMatchObject({ file_id: passphraseFile.file_id, deleted: true });
      const gone = await run(['decrypt', passphraseFile.link, join(root, 'gone.bin')], recipient, { COFFER_PASSPHRASE: PASSPHRASE });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('there is no file behind this link');
    });

    full('refuses to delete without --yes when there is no terminal (exit 2)', async () => {
      const refused = await run(['files', 'delete', vaultFile.file_id]);
      expect(refused.code).toBe(2);
    });

    full('logs out: the tokens are forgotten and commands ask for a login', async () => {
      expectOk(await run(['auth', 'logout']));
      await expect(stat(join(owner.home, 'credentials.json'))).rejects.toThrow();
      const list = await run(['files', 'list']);
      expect(list.code).toBe(1);
      expect(list.stderr).toBe('coffer: you are not logged in\nRun `coffer auth login` (or `coffer auth register` first).\n');
    });

    it('deletes the account: every link stops working', async () => {
      expectOk(await run(['auth', 'login', '--email', email]));
      expectOk(await run(['auth', 'delete-account', '--yes']));
      await expect(stat(join(owner.home, 'credentials.json'))).rejects.toThrow();
      const gone = await run(['decrypt', vaultFile.link, join(root, 'after-delete.bin'), '--key', Buffer.alloc(32).toString('base64')], recipient, {});
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('there is no file behind this link');
      const login = await run(['auth', 'login', '--email', email]);
      expect(login.code).toBe(1);
    });
  });
});

describe('the coffer CLI: sessions, limits and network errors', () => {
  let t: TestApp;
  let root: string;
  let home: CliOptions;
  const email = `cli-limits-${randomBytes(4).toString('hex')}@example.com`;
  const env = { COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };

  beforeAll(async () => {
    // Access tokens shorter than the refresh margin: every command refreshes (and rotates) first.
    t = await startTestApp({
      storage: 'fs',
      env: { DAILY_DOWNLOAD_LIMIT: '1', ACCESS_TOKEN_TTL_SECONDS: '30', MAX_FILE_SIZE_BYTES: '1000000', USER_QUOTA_BYTES: '1500000' },
    });
    root = await mkdtemp(join(tmpdir(), 'coffer-cli-e2e-limits-'));
    home = { home: join(root, 'home'), server: t.baseUrl, env, entry: FULL_TIER ? CLI : FAST_KDF_CLI };
    expectOk(await coffer(['auth', 'register', '--email', email], home));
    expectOk(await coffer(['auth', 'verify', '--email', email, '--code', await t.mail.codeFor(email)], home));
    expectOk(await coffer(['auth', 'login', '--email', email], home));
  });

  afterAll(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refreshes an expiring access token with rotation and saves the new refresh token', async () => {
    const before = JSON.parse(await readFile(join(home.home, 'credentials.json'), 'utf8'));
    expectOk(await coffer(['files', 'list'], home));
    const after = JSON.parse(await readFile(join(home.home, 'credentials.json'), 'utf8'));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expectOk(await coffer(['usage'], home));
  });

  it('lets concurrent commands share one login: refreshes are serialized, the token family survives', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => coffer(['files', 'list', '--json'], home)));
    for (const r of runs) expectOk(r);
    expectOk(await coffer(['usage'], home));
  });

  it('tells the user to log in again when the session was revoked', async () => {
    const saved = await readFile(join(home.home, 'credentials.json'), 'utf8');
    expectOk(await coffer(['auth', 'logout'], home));
    await writeFile(join(home.home, 'credentials.json'), saved, { mode: 0o600 });
    const failed = await coffer(['files', 'list'], home);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('coffer: your session has expired or was revoked\nLog in again with `coffer auth login`.\n');
    expectOk(await coffer(['auth', 'login', '--email', email], home));
  });

  it('explains the daily download limit with the retry time', async () => {
    await writeFile(join(root, 'limited.bin'), 'limited');
    const [upload] = json<Uploaded[]>(expectOk(await coffer(['upload', join(root, 'limited.bin'), '--json'], home)));
    expectOk(await coffer(['decrypt', upload.link, join(root, 'first.bin')], home));
    const limited = await coffer(['decrypt', upload.link, join(root, 'second.bin')], home);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/^coffer: download failed: the daily download limit of this file is reached\nTry again in .+ \(at \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\.\n$/);
    await expect(stat(join(root, 'second.bin'))).rejects.toThrow();
  });

  it('explains the per-file limit (413) and the quota (403)', async () => {
    await writeFile(join(root, 'big.bin'), randomBytes(1_200_000));
    const tooBig = await coffer(['upload', join(root, 'big.bin')], home);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toContain(`coffer: upload of ${join(root, 'big.bin')} failed: the file is too large for this server`);
    await writeFile(join(root, 'part1.bin'), randomBytes(800_000));
    await writeFile(join(root, 'part2.bin'), randomBytes(800_000));
    expectOk(await coffer(['upload', join(root, 'part1.bin')], home));
    const overQuota = await coffer(['upload', join(root, 'part2.bin')], home);
    expect(overQuota.code).toBe(1);
    expect(overQuota.stderr).toContain('failed: your storage quota or file limit is reached');
    expect(overQuota.stderr).toContain('See `coffer usage`');
  });

  it('says when the server cannot be reached', async () => {
    const failed = await coffer(['auth', 'login', '--email', email], { ...home, server: 'http://127.0.0.1:1' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^coffer: login failed: cannot reach the server at http:\/\/127\.0\.0\.1:1 \(connection refused\)\n/);
  });
});
