import type { KeyObject } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, withFileLock, writeFileAtomic } from '@coffer/state-files';
import { argon2idKey, deriveKeyFromPassphrase, type KdfBounds, type KdfParams } from '../format/kdf';
import { assertKeySize, KEY_SIZE, toAesKey } from '../format/keys';
import { emptyVaultDocument, openVaultDocument, sealVaultDocument, type VaultDocument } from './vault-document';
import { VaultError } from './vault-error';
import { newVaultMeta, parseVaultMeta, serializeVaultMeta } from './vault-meta';

const META_FILE = 'vault_meta.json';
const DATA_FILE = 'vault.enc';
const LOCK_FILE = 'vault.lock';

/** Key derivation of a vault; tests pass cheap parameters with bounds that admit them. */
export interface VaultKdfOptions {
  /** Parameters of a new vault (default: DEFAULT_KDF_PARAMS). */
  kdf?: KdfParams;
  /** Limits the parameters must lie within (default: DEFAULT_KDF_BOUNDS). */
  bounds?: KdfBounds;
}

export interface VaultEntry {
  dek: Buffer;
  /** Key commitment (base64) of the file's blob, when Coffer recorded one. */
  commitment?: string;
}

/**
 * The local key vault, in Hashdrop's layout (docs/FORMAT.md, "Local vault"). The vault key is derived
 * once, when the vault is created or opened. Every read decrypts the current `vault.enc`, so
 * entries added by other processes are seen; every change is a read-modify-write under an
 * exclusive lock, written atomically, so concurrent writers never lose an entry.
 */
export class Vault {
  private constructor(
    private readonly dir: string,
    private key: KeyObject,
  ) {}

  /** Creates an empty vault in `dir` (created with mode 0700 if needed); the password needs 12+ characters. */
  static async create(dir: string, password: string, options: VaultKdfOptions = {}): Promise<Vault> {
    const meta = newVaultMeta(options.kdf);
    const vault = new Vault(dir, toAesKey(await deriveKeyFromPassphrase(password, meta.salt, meta.kdf, { bounds: options.bounds })));
    await ensurePrivateDir(dir);
    await withFileLock(join(dir, LOCK_FILE), async () => {
      for (const file of [META_FILE, DATA_FILE]) {
        if (await exists(join(dir, file))) throw new VaultError('ALREADY_EXISTS', `a vault already exists in ${dir} (${file})`);
      }
      await vault.write(emptyVaultDocument());
      // The meta file goes last: a vault exists for `open` only once it is complete.
      await writeFileAtomic(join(dir, META_FILE), Buffer.from(serializeVaultMeta(meta), 'utf8'));
    });
    return vault;
  }

  /** Opens the vault in `dir`; a wrong password fails with code WRONG_PASSWORD. */
  static async open(dir: string, password: string, options: Pick<VaultKdfOptions, 'bounds'> = {}): Promise<Vault> {
    const meta = parseVaultMeta((await readVaultFile(dir, META_FILE)).toString('utf8'), options.bounds);
    const vault = new Vault(dir, toAesKey(await argon2idKey(password, meta.salt, meta.kdf, options.bounds)));
    await vault.read();
    return vault;
  }

  async get(fileId: string): Promise<VaultEntry | undefined> {
    const document = await this.read();
    const encoded = document.entries.get(fileId);
    if (encoded === undefined) return undefined;
    const dek = Buffer.from(encoded, 'base64');
    if (dek.length !== KEY_SIZE) throw new VaultError('CORRUPT', `the vault entry of ${fileId} is not a ${KEY_SIZE}-byte key`);
    const commitment = document.commitments.get(fileId);
    return commitment === undefined ? { dek } : { dek, commitment };
  }

  /** Adds or replaces the DEK (and optionally the key commitment) of `fileId`. */
  async put(fileId: string, dek: Uint8Array, commitment?: string): Promise<void> {
    assertFileId(fileId);
    assertKeySize(dek, 'DEK');
    await this.update((document) => {
      document.entries.set(fileId, Buffer.from(dek).toString('base64'));
      if (commitment === undefined) document.commitments.delete(fileId);
      else document.commitments.set(fileId, commitment);
    });
  }

  /** Removes the entry of `fileId`; tells whether there was one. */
  async remove(fileId: string): Promise<boolean> {
    let removed = false;
    await this.update((document) => {
      removed = document.entries.delete(fileId);
      document.commitments.delete(fileId);
    });
    return removed;
  }

  /**
   * Re-encrypts `vault.enc` under a key derived from `newPassword` (12+ characters) with the
   * vault's own salt and KDF parameters, under the lock, in one atomic write: `vault_meta.json`
   * is left as it is, so no crash can leave the two files disagreeing (docs/FORMAT.md, "Local
   * vault"). Another instance still holding the old key fails its next read instead of writing.
   */
  async changePassword(newPassword: string, options: Pick<VaultKdfOptions, 'bounds'> = {}): Promise<void> {
    const meta = parseVaultMeta((await readVaultFile(this.dir, META_FILE)).toString('utf8'), options.bounds);
    const key = toAesKey(await deriveKeyFromPassphrase(newPassword, meta.salt, meta.kdf, { bounds: options.bounds }));
    await withFileLock(join(this.dir, LOCK_FILE), async () => {
      const document = await this.read();
      await ensurePrivateDir(this.dir);
      await writeFileAtomic(join(this.dir, DATA_FILE), sealVaultDocument(key, document));
    });
    this.key = key;
  }

  /** File ids in the vault, sorted. */
  async list(): Promise<string[]> {
    return [...(await this.read()).entries.keys()].sort();
  }

  private async update(change: (document: VaultDocument) => void): Promise<void> {
    await withFileLock(join(this.dir, LOCK_FILE), async () => {
      const document = await this.read();
      change(document);
      await ensurePrivateDir(this.dir);
      await this.write(document);
    });
  }

  private async read(): Promise<VaultDocument> {
    return openVaultDocument(this.key, await readVaultFile(this.dir, DATA_FILE));
  }

  private async write(document: VaultDocument): Promise<void> {
    await writeFileAtomic(join(this.dir, DATA_FILE), sealVaultDocument(this.key, document));
  }
}

async function readVaultFile(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw file === META_FILE
      ? new VaultError('NOT_FOUND', `no vault in ${dir} (${META_FILE} is missing)`)
      : new VaultError('CORRUPT', `the vault in ${dir} is incomplete (${file} is missing)`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function assertFileId(fileId: string): void {
  if (typeof fileId !== 'string' || fileId.length === 0) throw new TypeError('file id must be a non-empty string');
}
