import { randomBytes } from 'node:crypto';
import { argon2idKey, DEFAULT_KDF_PARAMS, parseKdfParams, type KdfBounds, type KdfParams } from '../format/kdf';
import { AccountKeyError } from './account-key-error';
import { aeadOpen, aeadSeal, GCM_NONCE_SIZE, label } from './aead';
import { idBytes } from './encoding';
import { checkedPair, type AccountKeyPair } from './key-pair';
import { decodeKeyBundle, WRAP_SALT_SIZE, type KeyBundle, type PasswordWrap } from './key-bundle';

const PASSWORD_LABEL = 'coffer/v1/account-key';

export interface PasswordWrapOptions {
  /** Argon2id parameters of the wrap (default: DEFAULT_KDF_PARAMS). */
  kdf?: KdfParams;
  /** Limits the parameters must lie within (default: DEFAULT_KDF_BOUNDS); tests only. */
  bounds?: KdfBounds;
}

/** Wraps the private key under Argon2id(password, fresh salt); the pair is checked first. */
export async function wrapWithPassword(pair: AccountKeyPair, userId: string, password: string, options: PasswordWrapOptions = {}): Promise<PasswordWrap> {
  return wrapWithPasswordUsing(pair, userId, password, {
    kdf: options.kdf ?? DEFAULT_KDF_PARAMS,
    bounds: options.bounds,
    salt: randomBytes(WRAP_SALT_SIZE),
    nonce: randomBytes(GCM_NONCE_SIZE),
  });
}

/** `wrapWithPassword` with its randomness given (test vectors). */
export async function wrapWithPasswordUsing(
  pair: AccountKeyPair,
  userId: string,
  password: string,
  { kdf, bounds, salt, nonce }: { kdf: KdfParams; bounds?: KdfBounds; salt: Uint8Array; nonce: Uint8Array },
): Promise<PasswordWrap> {
  const user = idBytes(userId, 'user id');
  assertPassword(password);
  if (salt.length !== WRAP_SALT_SIZE || nonce.length !== GCM_NONCE_SIZE) throw new RangeError('salt must be 16 bytes and nonce 12 bytes');
  const checked = checkedPair(pair.privateKey, pair.publicKey);
  const params = boundedKdf(kdf, bounds);
  const kek = await argon2idKey(password, salt, params, bounds);
  const wrapped = aeadSeal(kek, nonce, checked.privateKey, passwordAad(user, checked.publicKey, params));
  return {
    kdf: { alg: params.alg, m: params.m, t: params.t, p: params.p },
    salt: Buffer.from(salt).toString('base64'),
    nonce: Buffer.from(nonce).toString('base64'),
    wrapped: wrapped.toString('base64'),
  };
}

/**
 * Unwraps the private key with the vault password. KDF parameters outside the bounds are refused
 * before hashing; a wrong password, another account's bundle, a swapped public key or changed
 * parameters all fail the tag (WRONG_PASSWORD: GCM cannot tell them apart).
 */
export async function unwrapWithPassword(
  bundle: KeyBundle,
  userId: string,
  password: string,
  options: Pick<PasswordWrapOptions, 'bounds'> = {},
): Promise<AccountKeyPair> {
  const decoded = decodeKeyBundle(bundle);
  const user = idBytes(userId, 'user id');
  assertPassword(password);
  const { kdf, salt, nonce, wrapped } = decoded.password;
  const params = boundedKdf(kdf, options.bounds);
  const kek = await argon2idKey(password, salt, params, options.bounds);
  const privateKey = aeadOpen(kek, nonce, wrapped, passwordAad(user, decoded.publicKey, params));
  if (privateKey === undefined) {
    throw new AccountKeyError('WRONG_PASSWORD', 'wrong vault password (or a key bundle that is not this account\'s, or was changed)');
  }
  return checkedPair(privateKey, decoded.publicKey);
}

/** "coffer/v1/account-key" || user id (36 ASCII) || raw public key (32) || canonical KDF JSON. */
export function passwordAad(userId: Buffer, publicKey: Buffer, { alg, m, t, p }: KdfParams): Buffer {
  return Buffer.concat([label(PASSWORD_LABEL), userId, publicKey, Buffer.from(JSON.stringify({ alg, m, t, p }), 'ascii')]);
}

function boundedKdf(kdf: KdfParams, bounds?: KdfBounds): KdfParams {
  try {
    return parseKdfParams(kdf, bounds);
  } catch (error) {
    throw new AccountKeyError('KDF_OUT_OF_BOUNDS', `the key bundle's KDF parameters are refused: ${(error as Error).message}`);
  }
}

function assertPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) throw new RangeError('the vault password must be a non-empty string');
}
