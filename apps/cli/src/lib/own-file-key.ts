import { AccountKeyError, unsealFileKey, type AccountKeyPair } from '@coffer/crypto';
import { AccountKeyring } from './account-keys';
import { CofferApi } from './coffer-api';
import type { Context } from './context';
import { loadCredentials } from './credentials';
import { CliError } from './errors';
import { openVault, vaultExists, type VaultPasswordOptions } from './vault-access';

/** A key of one of the caller's own files, and where it came from. */
export interface OwnKey {
  dek: Buffer;
  /** The commitment recorded with the key in the local vault (not the server's). */
  commitment?: string;
  from: 'account' | 'vault';
}

/**
 * The key of one of the caller's own files on any device: unsealed with the account key (one
 * Argon2id, the vault password) when the server holds a sealed key for it, else from the local
 * vault (files uploaded before account keys, or on a server without them).
 */
export async function ownFileKey(ctx: Context, server: string, fileId: string, options: VaultPasswordOptions, what: string): Promise<OwnKey> {
  if ((await loadCredentials(ctx))?.server === server) {
    const api = new CofferApi(ctx, server);
    const file = (await api.details(fileId, what)).find((f) => f.file_id === fileId);
    if (file?.sealed_key) {
      const { pair } = await new AccountKeyring(ctx, api).unlock(options);
      return { dek: unsealOwn(pair, file.sealed_key, fileId, what), from: 'account' };
    }
  }
  if (!(await vaultExists(ctx))) {
    throw new CliError(`${what} failed: there is no key for file ${fileId} here`, 'It is not a file of your account with a sealed key, and this device has no local vault: ask the sender for the key and use --key.');
  }
  const entry = await (await openVault(ctx, options, false)).get(fileId);
  if (!entry) throw new CliError(`${what} failed: your key vault has no key for file ${fileId}`, 'Ask the sender for the key and use --key (or `coffer keys sync` on the device that uploaded it).');
  return { dek: entry.dek, commitment: entry.commitment, from: 'vault' };
}

/** A file key opened with the account key; a sealed key that does not open is a CliError. */
export function unsealOwn(pair: AccountKeyPair, sealedKey: string, fileId: string, what: string): Buffer {
  try {
    return unsealFileKey(sealedKey, fileId, pair);
  } catch (error) {
    if (!(error instanceof AccountKeyError)) throw error;
    throw new CliError(`${what} failed: the sealed key of file ${fileId} does not open with your account key`, 'It was sealed to another key or changed on the server; a copy in a local vault (`--key` from `coffer share` on the uploading device) still works.');
  }
}
