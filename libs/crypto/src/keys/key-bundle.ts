import { parseKdfParams, type KdfBounds, type KdfParams } from '../format/kdf';
import { AccountKeyError } from './account-key-error';
import { GCM_NONCE_SIZE, GCM_TAG_SIZE } from './aead';
import { decodeBase64 } from './encoding';
import { X25519_KEY_SIZE } from './key-pair';

/** The private key wrapped under Argon2id(vault password); every value standard base64. */
export interface PasswordWrap {
  kdf: KdfParams;
  salt: string;
  nonce: string;
  wrapped: string;
}

/** The private key wrapped under the recovery code. */
export interface RecoveryWrap {
  nonce: string;
  wrapped: string;
}

/** What the server stores for an account, opaque to it (docs/FORMAT.md, "Key bundle"). */
export interface KeyBundle {
  v: 1;
  public_key: string;
  password: PasswordWrap;
  recovery: RecoveryWrap | null;
}

/** A bundle's values decoded, after validation. */
export interface DecodedKeyBundle {
  publicKey: Buffer;
  password: { kdf: KdfParams; salt: Buffer; nonce: Buffer; wrapped: Buffer };
  recovery: { nonce: Buffer; wrapped: Buffer } | null;
}

export const MAX_BUNDLE_BYTES = 4096;
export const WRAP_SALT_SIZE = 16;
export const WRAPPED_KEY_SIZE = X25519_KEY_SIZE + GCM_TAG_SIZE;

/** Only the shape of the KDF parameters; the bounds are enforced when unwrapping (KDF_OUT_OF_BOUNDS). */
const ANY_KDF: KdfBounds = { m: { min: 1, max: 0xffffffff }, t: { min: 1, max: 0xffffffff }, p: { min: 1, max: 0xffffff } };

export function parseKeyBundle(json: string): KeyBundle {
  if (typeof json !== 'string') throw malformed('it is not a string');
  if (Buffer.byteLength(json, 'utf8') > MAX_BUNDLE_BYTES) throw malformed(`it is longer than ${MAX_BUNDLE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw malformed('it is not JSON');
  }
  return canonicalBundle(decodeKeyBundle(value));
}

export function serializeKeyBundle(bundle: KeyBundle): string {
  const json = JSON.stringify(canonicalBundle(decodeKeyBundle(bundle)));
  if (Buffer.byteLength(json, 'utf8') > MAX_BUNDLE_BYTES) throw malformed(`it is longer than ${MAX_BUNDLE_BYTES} bytes`);
  return json;
}

/** Validates every field of a bundle (no unknown fields, exact lengths, canonical base64) and decodes it. */
export function decodeKeyBundle(value: unknown): DecodedKeyBundle {
  const { v, public_key, password, recovery } = fields(value, ['v', 'public_key', 'password', 'recovery'], 'the bundle');
  if (v !== 1) throw malformed(`unsupported version ${JSON.stringify(v)}`);
  const pw = fields(password, ['kdf', 'salt', 'nonce', 'wrapped'], '"password"');
  let kdf: KdfParams;
  try {
    kdf = parseKdfParams(pw.kdf, ANY_KDF);
  } catch (error) {
    throw malformed(`"password.kdf": ${(error as Error).message}`);
  }
  return {
    publicKey: bytes(public_key, X25519_KEY_SIZE, '"public_key"'),
    password: {
      kdf,
      salt: bytes(pw.salt, WRAP_SALT_SIZE, '"password.salt"'),
      nonce: bytes(pw.nonce, GCM_NONCE_SIZE, '"password.nonce"'),
      wrapped: bytes(pw.wrapped, WRAPPED_KEY_SIZE, '"password.wrapped"'),
    },
    recovery: recovery === null ? null : decodeRecovery(recovery),
  };
}

function decodeRecovery(value: unknown): DecodedKeyBundle['recovery'] {
  const { nonce, wrapped } = fields(value, ['nonce', 'wrapped'], '"recovery"');
  return { nonce: bytes(nonce, GCM_NONCE_SIZE, '"recovery.nonce"'), wrapped: bytes(wrapped, WRAPPED_KEY_SIZE, '"recovery.wrapped"') };
}

/** The bundle in its one serialized form: fixed field order, re-encoded values. */
export function canonicalBundle({ publicKey, password, recovery }: DecodedKeyBundle): KeyBundle {
  const { alg, m, t, p } = password.kdf;
  return {
    v: 1,
    public_key: publicKey.toString('base64'),
    password: {
      kdf: { alg, m, t, p },
      salt: password.salt.toString('base64'),
      nonce: password.nonce.toString('base64'),
      wrapped: password.wrapped.toString('base64'),
    },
    recovery: recovery === null ? null : { nonce: recovery.nonce.toString('base64'), wrapped: recovery.wrapped.toString('base64') },
  };
}

function fields<K extends string>(value: unknown, names: readonly K[], what: string): Record<K, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not an object`);
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !(names as readonly string[]).includes(key));
  if (unknown.length > 0) throw malformed(`${what} has unknown field(s): ${unknown.join(', ')}`);
  const missing = names.filter((name) => !Object.prototype.hasOwnProperty.call(record, name));
  if (missing.length > 0) throw malformed(`${what} lacks ${missing.join(', ')}`);
  return record;
}

function bytes(value: unknown, length: number, what: string): Buffer {
  const decoded = decodeBase64(value, length);
  if (decoded === undefined) throw malformed(`${what} must be standard base64 of ${length} bytes`);
  return decoded;
}

function malformed(reason: string): AccountKeyError {
  return new AccountKeyError('MALFORMED', `the key bundle is malformed: ${reason}`);
}
