import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argon2id, hash } from 'argon2';
import { DEFAULT_KDF_BOUNDS, randomDek, Vault, VaultError } from '@coffer/crypto';

const PASSWORD = 'vault password 123';

/** The vault key and `vault.enc` content, computed with argon2 and node:crypto directly. */
async function readVaultIndependently(dir: string, password: string): Promise<Record<string, unknown>> {
  const meta = JSON.parse(await readFile(join(dir, 'vault_meta.json'), 'utf8'));
  const key = await hash(password, {
    type: argon2id,
    raw: true,
    salt: Buffer.from(meta.vault_salt, 'base64'),
    timeCost: meta.argon.time,
    memoryCost: meta.argon.memory,
    parallelism: meta.argon.threads,
    hashLength: meta.argon.key_len,
  });
  const sealed = await readFile(join(dir, 'vault.enc'));
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const json = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
  return JSON.parse(json);
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('Vault', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-vault-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  let counter = 0;
  const freshDir = () => join(root, `vault-${++counter}`);

  describe('create', () => {
    let dir: string;
    beforeAll(async () => {
      dir = freshDir();
      await Vault.create(dir, PASSWORD);
    });

    it('writes Hashdrop-layout files that decrypt with argon2 and node:crypto alone', async () => {
      const meta = JSON.parse(await readFile(join(dir, 'vault_meta.json'), 'utf8'));
      expect(meta).toEqual({ version: 1, argon: { time: 3, memory: 65_536, threads: 1, key_len: 32 }, vault_salt: expect.any(String) });
      expect(Buffer.from(meta.vault_salt, 'base64')).toHaveLength(16);
      expect(await readVaultIndependently(dir, PASSWORD)).toEqual({ version: 1, entries: {} });
    });

    it('makes the directory 0700 and every file 0600, leaving no lock or temporary file', async () => {
      expect(await modeOf(dir)).toBe(0o700);
      expect((await readdir(dir)).sort()).toEqual(['vault.enc', 'vault_meta.json']);
      expect(await modeOf(join(dir, 'vault.enc'))).toBe(0o600);
      expect(await modeOf(join(dir, 'vault_meta.json'))).toBe(0o600);
    });

    it('refuses to overwrite an existing vault', async () => {
      await expect(Vault.create(dir, PASSWORD)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    });

    it('refuses a password under 12 characters', async () => {
      await expect(Vault.create(freshDir(), 'too short')).rejects.toThrow('the passphrase must be at least 12 characters long');
    });
  });

  describe('with explicit KDF parameters and bounds (cheap vaults for tests)', () => {
    const bounds = { ...DEFAULT_KDF_BOUNDS, m: { min: 8, max: 1_048_576 } };
    const kdf = { alg: 'argon2id', m: 64, t: 1, p: 1 } as const;

    it('records the parameters it was given, and opens only with bounds that admit them', async () => {
      const dir = freshDir();
      const dek = randomDek();
      await (await Vault.create(dir, PASSWORD, { kdf, bounds })).put('file-1', dek);
      const meta = JSON.parse(await readFile(join(dir, 'vault_meta.json'), 'utf8'));
      expect(meta.argon).toEqual({ time: 1, memory: 64, threads: 1, key_len: 32 });
      expect(await readVaultIndependently(dir, PASSWORD)).toEqual({ version: 1, entries: { 'file-1': dek.toString('base64') } });
      expect((await (await Vault.open(dir, PASSWORD, { bounds })).get('file-1'))?.dek).toEqual(dek);
      await expect(Vault.open(dir, PASSWORD)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('outside 19456..1048576 KiB') });
    });

    it('refuses to create a vault with parameters outside the default bounds', async () => {
      await expect(Vault.create(freshDir(), PASSWORD, { kdf })).rejects.toThrow('outside 19456..1048576 KiB');
    });
  });

  describe('open', () => {
    let dir: string;
    beforeAll(async () => {
      dir = freshDir();
      const vault = await Vault.create(dir, PASSWORD);
      await vault.put('file-1', Buffer.alloc(32, 1));
    });

    it('reads entries written by an earlier instance', async () => {
      const vault = await Vault.open(dir, PASSWORD);
      expect((await vault.get('file-1'))?.dek.equals(Buffer.alloc(32, 1))).toBe(true);
    });

    it('fails clearly on a wrong password', async () => {
      const error = await Vault.open(dir, 'wrong password 123').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VaultError);
      expect(error).toMatchObject({ code: 'WRONG_PASSWORD', message: 'cannot open the vault: wrong vault password (or vault.enc is damaged)' });
    });

    it('fails clearly where there is no vault', async () => {
      const missing = freshDir();
      await expect(Vault.open(missing, PASSWORD)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: `no vault in ${missing} (vault_meta.json is missing)`,
      });
    });

    it('refuses KDF parameters out of bounds in vault_meta.json', async () => {
      const bad = freshDir();
      await mkdir(bad);
      await writeFile(
        join(bad, 'vault_meta.json'),
        JSON.stringify({ version: 1, argon: { time: 3, memory: 4_194_304, threads: 1, key_len: 32 }, vault_salt: randomBytes(16).toString('base64') }),
      );
      await expect(Vault.open(bad, PASSWORD)).rejects.toMatchObject({
        code: 'CORRUPT',
        message: 'vault_meta.json is invalid: KDF parameter m=4194304 is outside 19456..1048576 KiB',
      });
    });
  });

  describe('entries', () => {
    let dir: string;
    let vault: Vault;
    beforeAll(async () => {
      dir = freshDir();
      vault = await Vault.create(dir, PASSWORD);
    });

    it('puts, gets, lists and removes DEKs with their commitments', async () => {
      const [first, second] = [randomDek(), randomDek()];
      await vault.put('b-file', first, 'commitment-b');
      await vault.put('a-file', second);
      expect(await vault.list()).toEqual(['a-file', 'b-file']);
      expect(await vault.get('b-file')).toEqual({ dek: first, commitment: 'commitment-b' });
      expect(await vault.get('a-file')).toEqual({ dek: second });
      expect(await vault.get('nope')).toBeUndefined();

      await vault.put('b-file', second);
      expect(await vault.get('b-file')).toEqual({ dek: second });
      expect(await vault.remove('b-file')).toBe(true);
      expect(await vault.remove('b-file')).toBe(false);
      expect(await vault.list()).toEqual(['a-file']);
    });

    it('stores DEKs the Hashdrop way, base64 under "entries"', async () => {
      const dek = randomDek();
      await vault.put('hashdrop-view', dek, 'c29tZQ==');
      const content = await readVaultIndependently(dir, PASSWORD);
      expect(content).toMatchObject({ version: 1, commitments: { 'hashdrop-view': 'c29tZQ==' } });
      expect((content.entries as Record<string, string>)['hashdrop-view']).toBe(dek.toString('base64'));
    });

    it('sees entries another instance added, without reopening', async () => {
      const other = await Vault.open(dir, PASSWORD);
      await other.put('from-other', randomDek());
      expect(await vault.list()).toContain('from-other');
    });

    it('rejects a DEK that is not 32 bytes and an empty file id', async () => {
      await expect(vault.put('x', randomBytes(16))).rejects.toThrow('DEK must be 32 bytes, got 16');
      await expect(vault.put('', randomDek())).rejects.toThrow('file id must be a non-empty string');
    });

    it('keeps the directory 0700 and vault.enc 0600 after a write', async () => {
      await chmod(dir, 0o755);
      await vault.put('mode-check', randomDek());
      expect(await modeOf(dir)).toBe(0o700);
      expect(await modeOf(join(dir, 'vault.enc'))).toBe(0o600);
    });
  });

  it('opens a vault written by a Hashdrop client and keeps its other fields', async () => {
    const dir = freshDir();
    await mkdir(dir, { mode: 0o755 });
    const salt = randomBytes(16);
    await writeFile(
      join(dir, 'vault_meta.json'),
      JSON.stringify({ version: 1, argon: { time: 3, memory: 65_536, threads: 1, key_len: 32 }, vault_salt: salt.toString('base64') }),
    );
    const key = await hash(PASSWORD, { type: argon2id, raw: true, salt, timeCost: 3, memoryCost: 65_536, parallelism: 1, hashLength: 32 });
    const dek = randomDek();
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const json = JSON.stringify({ version: 1, entries: { 'hashdrop-file': dek.toString('base64') }, note: 'kept' });
    await writeFile(join(dir, 'vault.enc'), Buffer.concat([nonce, cipher.update(json), cipher.final(), cipher.getAuthTag()]));

    const vault = await Vault.open(dir, PASSWORD);
    expect(await vault.get('hashdrop-file')).toEqual({ dek });
    await vault.put('coffer-file', randomDek());
    expect(await readVaultIndependently(dir, PASSWORD)).toMatchObject({ note: 'kept', entries: { 'hashdrop-file': dek.toString('base64') } });
  });

  describe('changePassword', () => {
    const NEW_PASSWORD = 'a new vault password';
    // Several 64 MiB Argon2id derivations each, on a shared machine.
    jest.setTimeout(60_000);

    it('re-encrypts vault.enc under the new password with the same salt and parameters (vault_meta.json untouched), 0600, keeping every entry and other field', async () => {
      const dir = freshDir();
      const vault = await Vault.create(dir, PASSWORD);
      const dek = randomDek();
      await vault.put('file-1', dek, 'commitment');
      const meta = await readFile(join(dir, 'vault_meta.json'));
      const before = await readVaultIndependently(dir, PASSWORD);
      await chmod(join(dir, 'vault.enc'), 0o644);
      await vault.changePassword(NEW_PASSWORD);
      expect(await readFile(join(dir, 'vault_meta.json'))).toEqual(meta);
      expect(await readVaultIndependently(dir, NEW_PASSWORD)).toEqual(before);
      expect(await modeOf(join(dir, 'vault.enc'))).toBe(0o600);
      expect((await readdir(dir)).sort()).toEqual(['vault.enc', 'vault_meta.json']);
      await expect(Vault.open(dir, PASSWORD)).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
      expect(await (await Vault.open(dir, NEW_PASSWORD)).get('file-1')).toEqual({ dek, commitment: 'commitment' });
      // The same instance keeps working with the new key.
      await vault.put('file-2', randomDek());
      expect(await (await Vault.open(dir, NEW_PASSWORD)).list()).toEqual(['file-1', 'file-2']);
    });

    it('leaves another instance that still holds the old key unable to write (it fails, nothing is lost)', async () => {
      const dir = freshDir();
      const first = await Vault.create(dir, PASSWORD);
      const other = await Vault.open(dir, PASSWORD);
      await first.changePassword(NEW_PASSWORD);
      await expect(other.put('late', randomDek())).rejects.toBeInstanceOf(VaultError);
      expect(await (await Vault.open(dir, NEW_PASSWORD)).list()).toEqual([]);
    });

    it('refuses a new password under 12 characters and changes nothing', async () => {
      const dir = freshDir();
      const vault = await Vault.create(dir, PASSWORD);
      const sealed = await readFile(join(dir, 'vault.enc'));
      await expect(vault.changePassword('short')).rejects.toThrow(RangeError);
      expect(await readFile(join(dir, 'vault.enc'))).toEqual(sealed);
    });
  });

  it('loses no entry when several processes add entries at the same time', async () => {
    const dir = freshDir();
    await Vault.create(dir, PASSWORD);
    const writers = ['p', 'q', 'r', 's'].map((prefix) =>
      spawn(process.execPath, [join(__dirname, 'fixtures', 'vault-writer.js'), dir, PASSWORD, prefix, '15'], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    await Promise.all(writers.map((writer) => once(writer.stdout, 'data')));
    const exits = writers.map((writer) => once(writer, 'exit'));
    for (const writer of writers) writer.stdin.write('go\n');
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0, 0, 0]);

    const ids = await (await Vault.open(dir, PASSWORD)).list();
    expect(ids).toHaveLength(60);
    for (const prefix of ['p', 'q', 'r', 's']) {
      for (let i = 0; i < 15; i++) expect(ids).toContain(`${prefix}-${i}`);
    }
  }, 30_000);
});
