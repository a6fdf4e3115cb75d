import { randomBytes } from 'node:crypto';
import { KEY_SIZE } from './keys';

/** Argon2id parameters as recorded per file (`kdf_params`); `m` is in KiB. */
export interface KdfParams {
  readonly alg: 'argon2id';
  readonly m: number;
  readonly t: number;
  readonly p: number;
}

export const DEFAULT_KDF_PARAMS: KdfParams = Object.freeze({ alg: 'argon2id', m: 65_536, t: 3, p: 1 });

export const MIN_PASSPHRASE_LENGTH = 12;

const SALT_SIZE = 16;

/** Inclusive limits of each Argon2id parameter a client accepts. */
export interface KdfBounds {
  readonly m: { readonly min: number; readonly max: number };
  readonly t: { readonly min: number; readonly max: number };
  readonly p: { readonly min: number; readonly max: number };
}

/**
 * Sane bounds, so parameters read from metadata cannot make a client grind, nor accept a key
 * cheaper to guess than the floor (docs/FORMAT.md, "Key derivation").
 */
export const DEFAULT_KDF_BOUNDS: KdfBounds = Object.freeze({
  m: Object.freeze({ min: 19_456, max: 1_048_576 }),
  t: Object.freeze({ min: 1, max: 10 }),
  p: Object.freeze({ min: 1, max: 8 }),
});

/** Options of a key derivation; `bounds` lets tests use parameters below the production floor. */
export interface KdfOptions {
  /** Skip the passphrase length policy (files made elsewhere must still open). */
  forDecryption?: boolean;
  bounds?: KdfBounds;
}

/** A fresh random 16-byte salt for passphrase mode. */
export function newSalt(): Buffer {
  return randomBytes(SALT_SIZE);
}

/**
 * Validates KDF parameters from any source (e.g. `kdf_params` of the API) and returns them typed;
 * throws a RangeError naming the offending field, before any hashing.
 */
export function parseKdfParams(value: unknown, bounds: KdfBounds = DEFAULT_KDF_BOUNDS): KdfParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RangeError('KDF parameters must be an object like {"alg":"argon2id","m":65536,"t":3,"p":1}');
  }
  const { alg, m, t, p, ...unknown } = value as Record<string, unknown>;
  if (alg !== 'argon2id') throw new RangeError(`unsupported KDF algorithm ${JSON.stringify(alg)}; only argon2id is accepted`);
  const unknownKeys = Object.keys(unknown);
  if (unknownKeys.length > 0) throw new RangeError(`unknown KDF parameter(s): ${unknownKeys.join(', ')}`);
  return { alg, m: inBounds(bounds, 'm', m), t: inBounds(bounds, 't', t), p: inBounds(bounds, 'p', p) };
}

/** DEK of passphrase mode: Argon2id(passphrase as UTF-8, salt), 32 bytes. */
export async function deriveKeyFromPassphrase(
  passphrase: string,
  salt: Uint8Array,
  params: KdfParams = DEFAULT_KDF_PARAMS,
  { forDecryption = false, bounds }: KdfOptions = {},
): Promise<Buffer> {
  // The length policy guards new files; files written elsewhere (Hashdrop's client has no
  // minimum) must still open with the passphrase they were made with.
  if (!forDecryption && [...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long`);
  }
  return argon2idKey(passphrase, salt, params, bounds);
}

/** Argon2id without the passphrase policy, for secrets that predate it (existing vault passwords). */
export async function argon2idKey(secret: string, salt: Uint8Array, params: KdfParams, bounds?: KdfBounds): Promise<Buffer> {
  const { m, t, p } = parseKdfParams(params, bounds);
  // Loaded on first use: the native binding costs ~10 ms of start-up to every command, and an
  // upload sealed to the account key never derives a key.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { argon2id, hash } = require('argon2') as typeof import('argon2');
  return hash(Buffer.from(secret, 'utf8'), {
    type: argon2id,
    raw: true,
    hashLength: KEY_SIZE,
    memoryCost: m,
    timeCost: t,
    parallelism: p,
    salt: Buffer.from(salt),
  });
}

function inBounds(bounds: KdfBounds, name: keyof KdfBounds, value: unknown): number {
  const { min, max } = bounds[name];
  const unit = name === 'm' ? ' KiB' : '';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`KDF parameter ${name}=${JSON.stringify(value)} is outside ${min}..${max}${unit}`);
  }
  return value;
}
