import { Vault, VaultError } from '@coffer/crypto';
import type { Context } from './context';
import { CliError } from './errors';
import { vaultExists } from './vault-access';

/** What `keys password` did to the local vault (`vault.enc`, for the stock Hashdrop client). */
export type LocalVaultChange = 'none' | 'changed' | 'other_password' | 'unreadable';

/**
 * The local vault, if it opens with the account key's old password: it then follows the account
 * key to the new password. A vault with a password of its own is left alone: its password is
 * whatever its owner chose, and nothing here could open it.
 */
export interface LocalVaultPlan {
  outcome: Exclude<LocalVaultChange, 'changed'>;
  vault?: Vault;
  /** Why a vault that exists is left alone. */
  reason?: string;
}

/** Opens the local vault with `oldPassword` (one Argon2id) before anything is changed. */
export async function planLocalVault(ctx: Context, oldPassword: string): Promise<LocalVaultPlan> {
  if (!(await vaultExists(ctx))) return { outcome: 'none' };
  try {
    return { outcome: 'none', vault: await Vault.open(ctx.vaultDir, oldPassword, { bounds: ctx.kdf.bounds }) };
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    if (error.code === 'WRONG_PASSWORD') return { outcome: 'other_password' };
    return { outcome: 'unreadable', reason: error.message };
  }
}

/** Re-encrypts the planned vault under `newPassword`; the account key already has it. */
export async function followNewPassword(ctx: Context, plan: LocalVaultPlan, newPassword: string): Promise<LocalVaultChange> {
  if (!plan.vault) return plan.outcome;
  try {
    await plan.vault.changePassword(newPassword, { bounds: ctx.kdf.bounds });
  } catch (error) {
    throw new CliError(
      `the vault password of your account key was changed, but the local vault in ${ctx.vaultDir} could not be re-encrypted (${(error as Error).message}); it still opens with the old password`,
      'Your account key now opens only with the new password; vault.enc (for the stock Hashdrop client) still opens with the old one.',
      undefined,
      { cause: error },
    );
  }
  return 'changed';
}

/** One line for the human output, or none. */
export function describeLocalVault(ctx: Context, change: LocalVaultChange, reason?: string): string | undefined {
  switch (change) {
    case 'none':
      return undefined;
    case 'changed':
      return `The local vault in ${ctx.vaultDir} (vault.enc, for the stock Hashdrop client) had the same password and now has the new one too.`;
    case 'other_password':
      return `The local vault in ${ctx.vaultDir} has a password of its own, not your account key's old one: it was left as it is and still opens only with its own password.`;
    case 'unreadable':
      return `The local vault in ${ctx.vaultDir} could not be read (${reason ?? 'unknown reason'}): it was left as it is.`;
  }
}
