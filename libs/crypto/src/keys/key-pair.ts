import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { AccountKeyError } from './account-key-error';

/** An X25519 account key pair, both halves raw 32 bytes (RFC 7748). */
export interface AccountKeyPair {
  publicKey: Buffer;
  privateKey: Buffer;
}

export const X25519_KEY_SIZE = 32;

// DER prefixes of an X25519 key (RFC 8410): SubjectPublicKeyInfo and PKCS #8, each followed by the 32 raw bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generateAccountKeyPair(): AccountKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  return accountKeyPairOf(rawPrivateKey(privateKey));
}

/** The pair of a known private key (vectors, and checking an unwrapped key against its public half). */
export function accountKeyPairOf(privateKey: Uint8Array): AccountKeyPair {
  const raw = Buffer.from(privateKey);
  return { publicKey: publicKeyOf(raw), privateKey: raw };
}

/** SHA-256 of the raw public key, lowercase hex: what a device pins and a user compares. */
export function publicKeyFingerprint(publicKey: Uint8Array): string {
  assertRawKey(publicKey, 'public key');
  return createHash('sha256').update(publicKey).digest('hex');
}

/** The public key of a raw private key. */
export function publicKeyOf(privateKey: Uint8Array): Buffer {
  return createPublicKey(privateKeyObject(privateKey)).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

export function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * X25519(privateKey, publicKey). A low-order public key gives the all-zero secret, which would make
 * every derived key a constant; that is refused (OpenSSL refuses it too, the check does not rely on it).
 */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Buffer | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) });
  } catch {
    return undefined;
  }
  return shared.length === X25519_KEY_SIZE && !timingSafeEqual(shared, Buffer.alloc(X25519_KEY_SIZE)) ? shared : undefined;
}

function privateKeyObject(raw: Uint8Array): KeyObject {
  assertRawKey(raw, 'private key');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  assertRawKey(raw, 'public key');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPrivateKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
}

function assertRawKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_SIZE) {
    throw new AccountKeyError('MALFORMED', `an X25519 ${what} must be ${X25519_KEY_SIZE} bytes`);
  }
}

/** The pair of an unwrapped private key, refused unless it belongs to `publicKey`. */
export function checkedPair(privateKey: Uint8Array, publicKey: Uint8Array): AccountKeyPair {
  const pair = accountKeyPairOf(privateKey);
  if (!samePublicKey(pair.publicKey, publicKey)) {
    throw new AccountKeyError('PAIR_MISMATCH', 'the private key does not belong to the public key it came with');
  }
  return pair;
}
