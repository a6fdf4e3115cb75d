import {
  AccountKeyError,
  generateAccountKeyPair,
  MIN_PASSPHRASE_LENGTH,
  parseKeyBundle,
  publicKeyFingerprint,
  serializeKeyBundle,
  unwrapWithPassword,
  Vault,
  wrapWithPassword,
  type AccountKeyPair,
  type KeyBundle,
} from '@coffer/crypto';
import { AccountKeysUnsupported, CofferApi, KeyMismatch, KeyVersionConflict, type AccountKeys } from './coffer-api';
import type { Context } from './context';
import { CliError } from './errors';
import { loadPin, savePin, type KeyPin } from './key-pins';
import { readSecret } from './secrets';
import { vaultExists, vaultFailure, type VaultPasswordOptions } from './vault-access';

/** The account key pair, opened with the vault password, and the server record it came from. */
export interface UnlockedAccount {
  userId: string;
  pair: AccountKeyPair;
  bundle: KeyBundle;
  /** The version read, to send back with the next PUT /api/keys. */
  version: number;
  /** Set when this call created the key (`coffer keys init` on a fresh account). */
  created: boolean;
  /** The vault password it was opened with (`keys password` also re-encrypts a local vault that has it); none after a recovery. */
  password?: string;
}

export const DATA_LOSS_WARNING = 'Lose both your vault password and your recovery code and your files are gone: nobody, not even the server\'s operator, can decrypt them.';

/**
 * The account key of the logged-in user on one server (docs/FORMAT.md, "Account key pair"): the
 * public half pinned in keys.json the first time this device unlocks the private half, which the
 * server holds wrapped under the vault password.
 */
export class AccountKeyring {
  private id: string | undefined;
  private unlocking: Promise<UnlockedAccount> | undefined;

  constructor(
    private readonly ctx: Context,
    readonly api: CofferApi,
  ) {}

  get server(): string {
    return this.api.baseUrl;
  }

  async userId(): Promise<string> {
    this.id ??= await this.api.client.userId();
    return this.id;
  }

  async pin(): Promise<KeyPin | undefined> {
    return loadPin(this.ctx, this.server, await this.userId());
  }

  /**
   * The public key new file keys are sealed to. Pinned: the server's key must still be the pinned
   * one (no password, no Argon2id). Not pinned yet: the first-use flow, which needs the password once.
   */
  async sealingKey(options: VaultPasswordOptions): Promise<Buffer> {
    const pin = await this.pin();
    if (!pin) return (await this.unlock(options)).pair.publicKey;
    const keys = await this.pinnedServerKeys(pin);
    if (!keys) {
      throw new CliError(
        `the server no longer has your account key (this device pinned ${shortFingerprint(pin.fingerprint)}); refusing to seal new keys`,
        'Someone changed the server\'s data. Run `coffer keys status` and contact the server\'s operator.',
      );
    }
    checkAgainstPin(keys.public_key, pin);
    return Buffer.from(pin.public_key, 'base64');
  }

  /**
   * GET /api/keys on a device that pinned an account key. A server that now claims to keep no
   * account keys (404/405) is refused like a swapped key: falling back to the local vault would
   * send the file name, media type and plaintext hash in the clear, which a server could use to
   * get around the pin.
   */
  private async pinnedServerKeys(pin: KeyPin): Promise<AccountKeys | undefined> {
    try {
      return await this.api.getKeys('reading your account key');
    } catch (error) {
      if (!(error instanceof AccountKeysUnsupported)) throw error;
      throw new CliError(
        `the server answers that it keeps no account keys, but this device pinned ${shortFingerprint(pin.fingerprint)}; refusing to upload or unlock without it`,
        'Someone changed the server. Run `coffer keys status` and contact the server\'s operator.',
      );
    }
  }

  /**
   * The private key: GET /api/keys (none yet → created, `keys init`), the vault password, unwrap,
   * the pair checked against the server's public key and against this device's pin (pinned now if
   * it was not).
   */
  async unlock(options: VaultPasswordOptions): Promise<UnlockedAccount> {
    // Once per command: one password, one Argon2id.
    this.unlocking ??= this.unlockOnce(options);
    this.unlocking.catch(() => undefined);
    return this.unlocking;
  }

  private async unlockOnce(options: VaultPasswordOptions): Promise<UnlockedAccount> {
    const userId = await this.userId();
    const pin = await this.pin();
    const keys = pin ? await this.pinnedServerKeys(pin) : await this.api.getKeys('reading your account key');
    if (!keys) {
      if (pin) throw new CliError(`the server no longer has your account key (this device pinned ${shortFingerprint(pin.fingerprint)})`, 'Someone changed the server\'s data; contact its operator.');
      return this.create(userId, options);
    }
    if (pin) checkAgainstPin(keys.public_key, pin, 'refusing to use it');
    const bundle = bundleOf(keys);
    const password = await readVaultPassword(this.ctx, options, false);
    const pair = await unwrapPassword(this.ctx, bundle, userId, password);
    if (!pin) await this.pinKey(pair.publicKey);
    return { userId, pair, bundle, version: keys.version, created: false, password };
  }

  /** Writes a new bundle over the version read; answers the new version. */
  async store(unlocked: UnlockedAccount, bundle: KeyBundle, what: string): Promise<number> {
    return this.api.putKeys({ public_key: unlocked.pair.publicKey.toString('base64'), bundle: serializeKeyBundle(bundle), version: unlocked.version }, what);
  }

  async pinKey(publicKey: Buffer): Promise<KeyPin> {
    const pin = await savePin(this.ctx, this.server, await this.userId(), publicKey);
    this.ctx.out.notice(`Pinned your account key ${shortFingerprint(pin.fingerprint)} on this device: uploads from here need no password from now on.`);
    return pin;
  }

  private async create(userId: string, options: VaultPasswordOptions): Promise<UnlockedAccount> {
    // An existing local vault keeps its password: the account key gets the same one.
    const hasVault = await vaultExists(this.ctx);
    const password = await readVaultPassword(this.ctx, options, !hasVault);
    if (hasVault) {
      await Vault.open(this.ctx.vaultDir, password, { bounds: this.ctx.kdf.bounds }).catch((error: unknown) => {
        throw vaultFailure(error, this.ctx.vaultDir);
      });
    }
    const pair = generateAccountKeyPair();
    const bundle: KeyBundle = {
      v: 1,
      public_key: pair.publicKey.toString('base64'),
      password: await wrapWithPassword(pair, userId, password, { kdf: this.ctx.kdf.vault, bounds: this.ctx.kdf.bounds }),
      recovery: null,
    };
    let version: number;
    try {
      version = await this.api.putKeys({ public_key: bundle.public_key, bundle: serializeKeyBundle(bundle), version: 0 }, 'creating your account key');
    } catch (error) {
      // Another device or process created it first: use that one, with the password just read.
      const lostRace = error instanceof KeyVersionConflict || error instanceof KeyMismatch;
      const keys = lostRace ? await this.api.getKeys('reading your account key') : undefined;
      if (!keys) throw error;
      const theirs = bundleOf(keys);
      const unlocked = await unwrapPassword(this.ctx, theirs, userId, password);
      await this.pinKey(unlocked.publicKey);
      return { userId, pair: unlocked, bundle: theirs, version: keys.version, created: false, password };
    }
    this.ctx.out.notice(
      `Created your account key ${shortFingerprint(publicKeyFingerprint(pair.publicKey))}. The server keeps its private half encrypted under your vault password, so any device where you log in can open your files.\n` +
        `${DATA_LOSS_WARNING} Create a recovery code with \`coffer keys recovery\`.`,
    );
    await this.pinKey(pair.publicKey);
    return { userId, pair, bundle, version, created: true, password };
  }
}

/** The keyring of the login on the server in use. */
export async function keyringOf(ctx: Context): Promise<AccountKeyring> {
  return new AccountKeyring(ctx, new CofferApi(ctx, (await ctx.server()).url));
}

export function shortFingerprint(fingerprint: string): string {
  return `SHA256:${fingerprint.slice(0, 16)}…`;
}

export function keyChanged(serverKey: string, pin: KeyPin, refusing = 'refusing to seal new keys to it'): CliError {
  const server = publicKeyFingerprint(Buffer.from(serverKey, 'base64'));
  return new CliError(
    `the server's account key changed (server: ${server}, pinned on this device: ${pin.fingerprint}); ${refusing}`,
    'A server that swaps your public key could read what you upload next. Nothing was uploaded or changed; contact the server\'s operator.',
  );
}

function checkAgainstPin(serverKey: string, pin: KeyPin, refusing?: string): void {
  if (serverKey !== pin.public_key) throw keyChanged(serverKey, pin, refusing);
}

function bundleOf(keys: AccountKeys): KeyBundle {
  let bundle: KeyBundle;
  try {
    bundle = parseKeyBundle(keys.bundle);
  } catch (error) {
    throw new CliError(`your account key bundle on the server is unreadable: ${(error as Error).message}`, 'It may have been damaged or tampered with; unlock with your recovery code (`coffer keys recover`) if you have one.');
  }
  if (bundle.public_key !== keys.public_key) {
    throw new CliError('your account key bundle on the server does not belong to its public key', 'It may have been tampered with; contact the server\'s operator.');
  }
  return bundle;
}

/** The vault password: `--vault-password-file`, COFFER_VAULT_PASSWORD or a prompt (twice for a new one). */
export function readVaultPassword(ctx: Context, options: VaultPasswordOptions, isNew: boolean, what?: string): Promise<string> {
  return readSecret(ctx, {
    what: what ?? (isNew ? 'new vault password' : 'vault password'),
    envVar: 'COFFER_VAULT_PASSWORD',
    file: options.vaultPasswordFile,
    alternatives: '--vault-password-file',
    confirm: isNew,
    minLength: isNew ? MIN_PASSPHRASE_LENGTH : undefined,
  });
}

export async function unwrapPassword(ctx: Context, bundle: KeyBundle, userId: string, password: string): Promise<AccountKeyPair> {
  try {
    return await unwrapWithPassword(bundle, userId, password, { bounds: ctx.kdf.bounds });
  } catch (error) {
    throw accountKeyFailure(error);
  }
}

/** Maps the account key errors to messages with a hint. */
export function accountKeyFailure(error: unknown): unknown {
  if (!(error instanceof AccountKeyError)) return error;
  switch (error.code) {
    case 'WRONG_PASSWORD':
      return new CliError('cannot unlock your account key: wrong vault password', 'Check the password (COFFER_VAULT_PASSWORD or --vault-password-file). Forgotten: `coffer keys recover` with your recovery code.');
    case 'WRONG_RECOVERY_CODE':
      return new CliError('cannot unlock your account key: wrong recovery code', 'Type the code exactly as `coffer keys recovery` printed it (case and dashes do not matter).');
    case 'NO_RECOVERY_CODE':
      return new CliError('your account has no recovery code', 'Only your vault password unlocks the account key.');
    case 'KDF_OUT_OF_BOUNDS':
      return new CliError(`your account key bundle is refused: ${error.message}`, 'Its key derivation parameters were lowered: the bundle was tampered with.');
    default:
      return new CliError(`your account key is unusable: ${error.message}`, 'The bundle on the server may have been tampered with; contact the server\'s operator.');
  }
}
