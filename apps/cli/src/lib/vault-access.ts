import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_PASSPHRASE_LENGTH, Vault, VaultError } from '@coffer/crypto';
import type { Context } from './context';
import { CliError } from './errors';
import { readSecret } from './secrets';

/** Options of the commands that open the vault. */
export interface VaultPasswordOptions {
  vaultPasswordFile?: string;
}

const PASSWORD_SOURCES = 'COFFER_VAULT_PASSWORD or --vault-password-file';

export async function vaultExists(ctx: Context): Promise<boolean> {
  try {
    await access(join(ctx.vaultDir, 'vault_meta.json'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the local key vault; with `create`, a missing vault is created (the password is then
 * asked twice at a prompt and must have 12+ characters). One Argon2id derivation per call.
 */
export async function openVault(ctx: Context, options: VaultPasswordOptions, create: boolean): Promise<Vault> {
  return (await beginOpeningVault(ctx, options, create)).open();
}

/**
 * A vault whose password has been read: an existing one starts unlocking at once (Argon2id takes
 * a third of a second, which an upload can spend transferring); a new one is created only when
 * first opened, so a command that fails before it needs the vault leaves none behind.
 */
export class PendingVault {
  private opening: Promise<Vault> | undefined;

  constructor(
    private readonly start: () => Promise<Vault>,
    readonly isNew: boolean,
  ) {
    if (!isNew) void this.open();
  }

  /** The vault, unlocking (or being created) once. */
  open(): Promise<Vault> {
    if (!this.opening) {
      this.opening = this.start();
      // Awaited by the caller later; until then a failure must not count as unhandled.
      this.opening.catch(() => undefined);
    }
    return this.opening;
  }

  /** Why the vault could not be opened, when its opening was started and failed. */
  async failure(): Promise<Error | undefined> {
    return this.opening?.then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  }
}

/** Reads the vault password now (a prompt happens here) and returns the vault, unlocking or still to be created. */
export async function beginOpeningVault(ctx: Context, options: VaultPasswordOptions, create: boolean): Promise<PendingVault> {
  const exists = await vaultExists(ctx);
  if (!exists && !create) {
    throw new CliError(`there is no key vault in ${ctx.vaultDir}`, 'Vault-mode keys live in the vault of the machine that uploaded; elsewhere give the key with --key.');
  }
  const password = await readSecret(ctx, {
    what: exists ? 'vault password' : 'new vault password',
    envVar: 'COFFER_VAULT_PASSWORD',
    file: options.vaultPasswordFile,
    alternatives: '--vault-password-file',
    confirm: !exists,
    minLength: exists ? undefined : MIN_PASSPHRASE_LENGTH,
  });
  return new PendingVault(() => unlock(ctx, password, exists), !exists);
}

async function unlock(ctx: Context, password: string, exists: boolean): Promise<Vault> {
  try {
    if (exists) return await Vault.open(ctx.vaultDir, password, { bounds: ctx.kdf.bounds });
    try {
      const vault = await Vault.create(ctx.vaultDir, password, { kdf: ctx.kdf.vault, bounds: ctx.kdf.bounds });
      ctx.out.notice(`Created a key vault in ${ctx.vaultDir}. Keep its password safe: without it the keys of your vault-mode files are lost.`);
      return vault;
    } catch (error) {
      // Another coffer process created it at the same moment: use that one.
      if (error instanceof VaultError && error.code === 'ALREADY_EXISTS') return await Vault.open(ctx.vaultDir, password, { bounds: ctx.kdf.bounds });
      throw error;
    }
  } catch (error) {
    throw vaultFailure(error, ctx.vaultDir);
  }
}

/** Maps the vault's errors to messages with a hint. */
export function vaultFailure(error: unknown, dir: string): unknown {
  if (!(error instanceof VaultError)) return error;
  switch (error.code) {
    case 'WRONG_PASSWORD':
      return new CliError('cannot open the key vault: wrong vault password (or vault.enc is damaged)', `Check the password (${PASSWORD_SOURCES}).`);
    case 'NOT_FOUND':
      return new CliError(`there is no key vault in ${dir}`, 'Set COFFER_HOME to the directory that holds your vault.');
    case 'CORRUPT':
      return new CliError(`the key vault is damaged: ${error.message}`, `Restore ${dir} from a backup.`);
    default:
      return new CliError(`key vault: ${error.message}`);
  }
}
