import { Command } from 'commander';
import { sealFileKey } from '@coffer/crypto';
import { keyringOf } from '../lib/account-keys';
import { CliError } from '../lib/errors';
import { unsealOwn } from '../lib/own-file-key';
import { contextFor, type Runtime } from '../lib/runtime';
import { openVault, vaultExists, type VaultPasswordOptions } from '../lib/vault-access';

export interface SyncResult {
  /** Keys of the local vault now sealed on the server (files uploaded before account keys). */
  sealed: number;
  /** Server-sealed keys now written into the local vault (for the stock Hashdrop client). */
  written_to_vault: number;
  /** Vault entries whose file is not an uploaded file of this account (deleted, or another account's). */
  skipped: number;
  local_vault: boolean;
}

export function formatSync(r: SyncResult): string {
  if (!r.local_vault) return 'No local vault on this device: nothing to sync (your keys are sealed on the server).';
  return [
    `Sealed ${r.sealed} key(s) of the local vault to your account key on the server.`,
    `Wrote ${r.written_to_vault} key(s) sealed on the server into the local vault.`,
    ...(r.skipped > 0 ? [`Skipped ${r.skipped} vault entr${r.skipped === 1 ? 'y' : 'ies'} whose file is not an uploaded file of this account.`] : []),
  ].join('\n');
}

/**
 * Both ways between the local vault and the server: every vault key of an uploaded file of the
 * caller that has no sealed key gets one (one request per file, so an interrupted run resumes
 * where it stopped), and every sealed key missing from vault.enc is written into it. Idempotent.
 */
export function keysSyncCommand(runtime: Runtime): Command {
  return new Command('sync')
    .description('seal the keys of the local vault on the server (migration), and copy sealed keys into the local vault')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (options: VaultPasswordOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const result: SyncResult = { sealed: 0, written_to_vault: 0, skipped: 0, local_vault: await vaultExists(ctx) };
      if (!result.local_vault) {
        ctx.out.result(result, () => formatSync(result));
        return;
      }
      const vault = await openVault(ctx, options, false);
      const publicKey = await keyring.sealingKey(options);
      const files = new Map((await keyring.api.listFiles()).filter((f) => f.status === 'uploaded').map((f) => [f.file_id, f]));
      const inVault = new Set(await vault.list());
      for (const fileId of inVault) {
        const file = files.get(fileId);
        if (!file || file.key_management_mode === 'passphrase') {
          result.skipped++;
          continue;
        }
        if (file.sealed_key) continue;
        const entry = await vault.get(fileId);
        if (!entry) continue;
        if (await keyring.api.putSealedKey(fileId, sealFileKey(entry.dek, fileId, publicKey), `sealing the key of ${fileId}`)) result.sealed++;
        else result.skipped++;
      }
      const missing = [...files.values()].filter((f) => f.sealed_key && !inVault.has(f.file_id));
      if (missing.length > 0) {
        // The private key is needed to open them: one more Argon2id, with the same password.
        const { pair } = await keyring.unlock(options);
        for (const file of missing) {
          const dek = unsealOwn(pair, file.sealed_key!, file.file_id, 'keys sync');
          await vault.put(file.file_id, dek).catch((error: unknown) => {
            throw new CliError(`writing the key of ${file.file_id} into the local vault failed: ${(error as Error).message}`, 'Run `coffer keys sync` again.');
          });
          result.written_to_vault++;
        }
      }
      ctx.out.result(result, () => formatSync(result));
    });
}
