import { Command } from 'commander';
import { AccountKeyError, MIN_PASSPHRASE_LENGTH, newRecoveryCode, parseKeyBundle, parseRecoveryCode, publicKeyFingerprint, unwrapWithRecoveryCode, wrapWithPassword, wrapWithRecoveryCode, type AccountKeyPair, type KeyBundle } from '@coffer/crypto';
import { accountKeyFailure, DATA_LOSS_WARNING, keyChanged, keyringOf, type AccountKeyring } from '../lib/account-keys';
import type { Context } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { describeLocalVault, followNewPassword, planLocalVault } from '../lib/local-vault-password';
import { readSecret } from '../lib/secrets';
import { vaultExists } from '../lib/vault-access';
import { contextFor, type Runtime } from '../lib/runtime';
import type { VaultPasswordOptions } from '../lib/vault-access';

interface NewPasswordOptions extends VaultPasswordOptions {
  newVaultPasswordFile?: string;
}

/** The new vault password: `--new-vault-password-file`, COFFER_NEW_VAULT_PASSWORD or a prompt (twice). */
function readNewPassword(ctx: Context, options: NewPasswordOptions): Promise<string> {
  return readSecret(ctx, {
    what: 'new vault password',
    envVar: 'COFFER_NEW_VAULT_PASSWORD',
    file: options.newVaultPasswordFile,
    alternatives: '--new-vault-password-file',
    confirm: true,
    minLength: MIN_PASSPHRASE_LENGTH,
  });
}

async function rewrapPassword(ctx: Context, bundle: KeyBundle, pair: AccountKeyPair, userId: string, password: string): Promise<KeyBundle> {
  return { ...bundle, password: await wrapWithPassword(pair, userId, password, { kdf: ctx.kdf.vault, bounds: ctx.kdf.bounds }) };
}

export function keysPasswordCommand(runtime: Runtime): Command {
  return new Command('password')
    .description('change the vault password that protects your account key (the current one is needed)')
    .option('--vault-password-file <path>', 'current vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .option('--new-vault-password-file <path>', 'new vault password from this file (default: COFFER_NEW_VAULT_PASSWORD or a prompt, twice)')
    .action(async (options: NewPasswordOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const unlocked = await keyring.unlock(options);
      if (unlocked.created) {
        ctx.out.result({ changed: false, created: true }, () => 'Your account key was just created with this password; nothing to change.');
        return;
      }
      const password = await readNewPassword(ctx, options);
      // Before anything changes: whether the local vault opens with the old password too.
      const plan = await planLocalVault(ctx, unlocked.password ?? '');
      const bundle = await rewrapPassword(ctx, unlocked.bundle, unlocked.pair, unlocked.userId, password);
      const version = await keyring.store(unlocked, bundle, 'changing the vault password');
      const localVault = await followNewPassword(ctx, plan, password);
      ctx.out.result({ changed: true, version, local_vault: localVault }, () =>
        ['Changed the vault password of your account key: every device now unlocks it with the new one.', describeLocalVault(ctx, localVault, plan.reason)].filter(Boolean).join('\n'),
      );
    });
}

export function keysRecoveryCommand(runtime: Runtime): Command {
  return new Command('recovery')
    .description('create (or replace) the recovery code that also unlocks your account key; printed once')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (options: VaultPasswordOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const unlocked = await keyring.unlock(options);
      const code = newRecoveryCode();
      const replaced = unlocked.bundle.recovery !== null;
      const bundle: KeyBundle = { ...unlocked.bundle, recovery: wrapWithRecoveryCode(unlocked.pair, unlocked.userId, code) };
      const version = await keyring.store(unlocked, bundle, 'setting the recovery code');
      ctx.out.result({ recovery_code: code, replaced, version }, () =>
        [
          `Recovery code: ${code}`,
          '',
          `Write it down and keep it apart from your password; it is shown only this once${replaced ? ' (the previous code no longer works)' : ''}.`,
          'With it, `coffer keys recover` sets a new vault password if you forget yours.',
          DATA_LOSS_WARNING,
        ].join('\n'),
      );
    });
}

interface RecoverOptions {
  recoveryCodeFile?: string;
  newVaultPasswordFile?: string;
}

export function keysRecoverCommand(runtime: Runtime): Command {
  return new Command('recover')
    .description('forgot the vault password: unlock your account key with the recovery code and set a new password')
    .option('--recovery-code-file <path>', 'recovery code from this file (default: COFFER_RECOVERY_CODE or a prompt)')
    .option('--new-vault-password-file <path>', 'new vault password from this file (default: COFFER_NEW_VAULT_PASSWORD or a prompt, twice)')
    .action(async (options: RecoverOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const { unlocked, pinned } = await unlockWithRecoveryCode(ctx, keyring, options);
      const password = await readNewPassword(ctx, options);
      const bundle = await rewrapPassword(ctx, unlocked.bundle, unlocked.pair, unlocked.userId, password);
      const version = await keyring.store(unlocked, bundle, 'setting the new vault password');
      if (!pinned) await keyring.pinKey(unlocked.pair.publicKey);
      const fingerprint = publicKeyFingerprint(unlocked.pair.publicKey);
      const localVault = (await vaultExists(ctx)) ? 'unchanged' : 'none';
      ctx.out.result({ recovered: true, fingerprint, version, local_vault: localVault }, () =>
        [
          `Recovered your account key ${fingerprint} and set the new vault password. The recovery code still works; replace it with \`coffer keys recovery\` if it may have been seen.`,
          ...(localVault === 'unchanged' ? [`The local vault in ${ctx.vaultDir} keeps its own password: the recovery code cannot open it.`] : []),
        ].join('\n'),
      );
    });
}

async function unlockWithRecoveryCode(ctx: Context, keyring: AccountKeyring, options: RecoverOptions) {
  const userId = await keyring.userId();
  const pin = await keyring.pin();
  const keys = await keyring.api.getKeys('reading your account key');
  if (!keys) throw new CliError('your account has no account key, so nothing to recover', 'Create one with `coffer keys init`.');
  if (pin && keys.public_key !== pin.public_key) throw keyChanged(keys.public_key, pin, 'refusing to use it');
  let bundle: KeyBundle;
  try {
    bundle = parseKeyBundle(keys.bundle);
  } catch (error) {
    throw accountKeyFailure(error);
  }
  if (bundle.recovery === null) throw new CliError('your account has no recovery code', 'Without the vault password the account key cannot be unlocked.');
  const code = await readSecret(ctx, { what: 'recovery code', envVar: 'COFFER_RECOVERY_CODE', file: options.recoveryCodeFile, alternatives: '--recovery-code-file' });
  checkRecoveryCodeShape(code);
  let pair;
  try {
    pair = unwrapWithRecoveryCode(bundle, userId, code);
  } catch (error) {
    throw accountKeyFailure(error);
  }
  if (pair.publicKey.toString('base64') !== keys.public_key) throw new CliError('your account key bundle on the server does not belong to its public key', 'It may have been tampered with; contact the server\'s operator.');
  return { unlocked: { userId, pair, bundle, version: keys.version, created: false }, pinned: pin !== undefined };
}

/** A code that cannot be one is a usage error (exit 2), told apart from a well-formed wrong one (exit 1). */
export function checkRecoveryCodeShape(code: string): void {
  try {
    parseRecoveryCode(code);
  } catch (error) {
    if (!(error instanceof AccountKeyError)) throw error;
    throw new UsageError(`the recovery code is malformed: ${error.message.replace(/^not a recovery code: /, '')}`, 'Type it exactly as `coffer keys recovery` printed it (case, spaces and dashes do not matter).');
  }
}
