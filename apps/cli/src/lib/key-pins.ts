import { join } from 'node:path';
import { publicKeyFingerprint } from '@coffer/crypto';
import { ensurePrivateDir, withFileLock, writeFileAtomic } from '@coffer/state-files';
import type { Context } from './context';
import { CliError } from './errors';
import { readJsonFile } from './state-files';

/** One account public key this device trusts, pinned the first time it unlocked the private key. */
export interface KeyPin {
  /** Standard base64 of the raw 32-byte X25519 public key. */
  public_key: string;
  /** SHA-256 of the raw public key, lowercase hex. */
  fingerprint: string;
  pinned_at: string;
}

/** `keys.json` in COFFER_HOME (0600): `{"<server url>|<user id>": KeyPin}`. */
type PinFile = Record<string, KeyPin>;

function pinsFile(ctx: Context): string {
  return join(ctx.home, 'keys.json');
}

function pinKey(server: string, userId: string): string {
  return `${server}|${userId}`;
}

async function readPins(ctx: Context): Promise<PinFile> {
  let value: unknown;
  try {
    value = await readJsonFile<unknown>(pinsFile(ctx));
  } catch (error) {
    throw new CliError(`cannot read ${pinsFile(ctx)}: ${(error as Error).message}`, 'Restore it from a backup, or delete it and unlock your account key again (`coffer keys init`).');
  }
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CliError(`${pinsFile(ctx)} is not a valid key pin file`, 'Delete it and run `coffer keys init` to pin your account key again.');
  return value as PinFile;
}

export async function loadPin(ctx: Context, server: string, userId: string): Promise<KeyPin | undefined> {
  const pin = (await readPins(ctx))[pinKey(server, userId)];
  if (pin === undefined) return undefined;
  const key = typeof pin.public_key === 'string' ? Buffer.from(pin.public_key, 'base64') : undefined;
  if (!key || key.length !== 32 || key.toString('base64') !== pin.public_key || publicKeyFingerprint(key) !== pin.fingerprint) {
    throw new CliError(`the pinned account key for ${server} in ${pinsFile(ctx)} is damaged`, 'Delete that entry (or the file) and run `coffer keys init` to pin the key again.');
  }
  return pin;
}

/** Pins `publicKey` for the account (an existing pin is replaced only by the caller's decision). */
export async function savePin(ctx: Context, server: string, userId: string, publicKey: Buffer): Promise<KeyPin> {
  const pin: KeyPin = { public_key: publicKey.toString('base64'), fingerprint: publicKeyFingerprint(publicKey), pinned_at: new Date().toISOString() };
  await ensurePrivateDir(ctx.home);
  await withFileLock(`${pinsFile(ctx)}.lock`, async () => {
    const pins = await readPins(ctx);
    pins[pinKey(server, userId)] = pin;
    await writeFileAtomic(pinsFile(ctx), `${JSON.stringify(pins, null, 2)}\n`);
  });
  return pin;
}
