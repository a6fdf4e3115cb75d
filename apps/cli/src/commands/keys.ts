import { Command } from 'commander';
import { parseKeyBundle, publicKeyFingerprint } from '@coffer/crypto';
import { keyringOf } from '../lib/account-keys';
import { contextFor, type Runtime } from '../lib/runtime';
import type { VaultPasswordOptions } from '../lib/vault-access';
import { vaultExists } from '../lib/vault-access';
import { keysPasswordCommand, keysRecoverCommand, keysRecoveryCommand } from './keys-password';
import { keysSyncCommand } from './keys-sync';

const PASSWORD_FILE_OPTION = ['--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)'] as const;

export interface KeysStatus {
  server: string;
  /** The account has a key pair on the server. */
  has_key: boolean;
  fingerprint: string | null;
  /** This device's pin: `pinned` (matches the server), `unpinned`, or `mismatch` (the server's key changed). */
  pin: 'pinned' | 'unpinned' | 'mismatch';
  pinned_fingerprint: string | null;
  recovery_code_set: boolean | null;
  version: number | null;
  updated_at: string | null;
  local_vault: boolean;
}

export function formatKeysStatus(s: KeysStatus): string {
  if (!s.has_key) return `Your account on ${s.server} has no account key yet. Create it with: coffer keys init (or just upload a file).${s.local_vault ? '\nThis device has a local vault; `coffer keys sync` seals its keys once the account key exists.' : ''}`;
  const pin =
    s.pin === 'pinned'
      ? 'pinned on this device (uploads need no password)'
      : s.pin === 'unpinned'
        ? 'not pinned on this device (the next upload or `coffer keys init` asks the vault password once)'
        : `DIFFERENT from the key pinned on this device (${s.pinned_fingerprint}): uploads are refused`;
  return [
    `Account key  ${s.fingerprint}`,
    `             ${pin}`,
    `Recovery     ${s.recovery_code_set ? 'a recovery code is set' : 'no recovery code (create one with `coffer keys recovery`)'}`,
    `Local vault  ${s.local_vault ? 'yes (`coffer keys sync` keeps it and the server in step)' : 'none on this device'}`,
  ].join('\n');
}

export function keysCommand(runtime: Runtime): Command {
  return new Command('keys')
    .description('your account key: init, status, password, recovery, recover, sync')
    .addCommand(keysInitCommand(runtime))
    .addCommand(keysStatusCommand(runtime))
    .addCommand(keysPasswordCommand(runtime))
    .addCommand(keysRecoveryCommand(runtime))
    .addCommand(keysRecoverCommand(runtime))
    .addCommand(keysSyncCommand(runtime));
}

function keysInitCommand(runtime: Runtime): Command {
  return new Command('init')
    .description('create your account key (or unlock the existing one) and pin it on this device')
    .option(...PASSWORD_FILE_OPTION)
    .action(async (options: VaultPasswordOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const unlocked = await keyring.unlock(options);
      const result = { fingerprint: publicKeyFingerprint(unlocked.pair.publicKey), created: unlocked.created, pinned: true };
      ctx.out.result(result, () => `${unlocked.created ? 'Created' : 'Unlocked'} your account key ${result.fingerprint}; it is pinned on this device.`);
    });
}

function keysStatusCommand(runtime: Runtime): Command {
  return new Command('status')
    .description('your account key: fingerprint, pinned on this device or not, recovery code set or not (no password needed)')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const keyring = await keyringOf(ctx);
      const [keys, pin] = [await keyring.api.getKeys('reading your account key'), await keyring.pin()];
      let recovery: boolean | null = null;
      if (keys) {
        try {
          recovery = parseKeyBundle(keys.bundle).recovery !== null;
        } catch {
          recovery = null;
        }
      }
      const status: KeysStatus = {
        server: keyring.server,
        has_key: keys !== undefined,
        fingerprint: keys ? publicKeyFingerprint(Buffer.from(keys.public_key, 'base64')) : null,
        pin: !pin ? 'unpinned' : !keys || keys.public_key !== pin.public_key ? 'mismatch' : 'pinned',
        pinned_fingerprint: pin?.fingerprint ?? null,
        recovery_code_set: recovery,
        version: keys?.version ?? null,
        updated_at: keys?.updated_at ?? null,
        local_vault: await vaultExists(ctx),
      };
      ctx.out.result(status, () => formatKeysStatus(status));
    });
}
