import { ascii, concat, fromBase64, toBase64, toHex, type Bytes } from './bytes';
import { deriveKeyFromPassphrase, parseKdfParams, type KdfParams } from './kdf';
import { randomBytes } from './encrypt';

/**
 * The account key pair in the browser (docs/FORMAT.md "Account key pair", "Key bundle", "Sealed
 * file key"), with WebCrypto's X25519, HKDF and AES-GCM; Argon2id through hash-wasm (kdf.ts).
 */

export type AccountKeyErrorCode = 'MALFORMED' | 'KDF_OUT_OF_BOUNDS' | 'WRONG_PASSWORD' | 'PAIR_MISMATCH' | 'SEALED_KEY_INVALID';

export class AccountKeyError extends Error {
  override readonly name = 'AccountKeyError';
  constructor(readonly code: AccountKeyErrorCode, message: string) {
    super(message);
  }
}

export interface KeyBundle {
  v: 1;
  public_key: string;
  password: { kdf: KdfParams; salt: string; nonce: string; wrapped: string };
  recovery: { nonce: string; wrapped: string } | null;
}

export interface AccountKeyPair {
  publicKey: Bytes;
  privateKey: Bytes;
}

/** What `coffer keys init` uses for the vault password (docs/FORMAT.md, "Key derivation"). */
export const DEFAULT_BUNDLE_KDF: KdfParams = { alg: 'argon2id', m: 65_536, t: 3, p: 1 };

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// RFC 8410 DER prefixes, each followed by the 32 raw key bytes.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const SEALED_SIZE = 81;
const X25519 = { name: 'X25519' } as const;

function checkId(id: string, what: string): void {
  if (!ID.test(id)) throw new RangeError(`${what} must be a lowercase UUID (36 characters)`);
}

/** The canonical kdf JSON of the AAD: exactly {"alg":"argon2id","m":…,"t":…,"p":…}. */
function canonicalKdf(kdf: KdfParams): string {
  return `{"alg":"argon2id","m":${kdf.m},"t":${kdf.t},"p":${kdf.p}}`;
}

function passwordAad(userId: string, publicKey: Bytes, kdf: KdfParams): Bytes {
  return concat(ascii('coffer/v1/account-key'), ascii(userId), publicKey, ascii(canonicalKdf(kdf)));
}

const malformed = (why: string) => new AccountKeyError('MALFORMED', `the key bundle is malformed: ${why}`);

function exactKeys(value: unknown, keys: string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not an object`);
  const record = value as Record<string, unknown>;
  const present = Object.keys(record).sort();
  if (present.join() !== [...keys].sort().join()) throw malformed(`${what} has fields ${present.join(', ')}`);
  return record;
}

function b64(value: unknown, length: number, what: string): Bytes {
  return fromBase64(value, length) ?? (() => { throw malformed(`${what} is not ${length} bytes of canonical base64`); })();
}

/** Parses the bundle text of `GET /api/keys`: unknown or missing fields, another version, bad base64 are MALFORMED. */
export function parseKeyBundle(text: string): KeyBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  const top = exactKeys(value, ['v', 'public_key', 'password', 'recovery'], 'the bundle');
  if (top.v !== 1) throw malformed('unknown version');
  b64(top.public_key, 32, 'public_key');
  const password = exactKeys(top.password, ['kdf', 'salt', 'nonce', 'wrapped'], 'password');
  b64(password.salt, 16, 'salt');
  b64(password.nonce, 12, 'nonce');
  b64(password.wrapped, 48, 'wrapped');
  if (typeof password.kdf !== 'object' || password.kdf === null) throw malformed('kdf is not an object');
  if (top.recovery !== null) {
    const recovery = exactKeys(top.recovery, ['nonce', 'wrapped'], 'recovery');
    b64(recovery.nonce, 12, 'recovery nonce');
    b64(recovery.wrapped, 48, 'recovery wrapped');
  }
  return top as unknown as KeyBundle;
}

async function importPrivate(privateKey: Bytes, usage: KeyUsage[] = ['deriveBits']): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, privateKey), X25519, true, usage);
}

/** X25519 public key of a raw private key. */
export async function publicKeyOf(privateKey: Bytes): Promise<Bytes> {
  const jwk = await crypto.subtle.exportKey('jwk', await importPrivate(privateKey));
  const x = jwk.x ?? '';
  const std = x.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (x.length % 4)) % 4);
  return fromBase64(std, 32) ?? (() => { throw new Error('X25519 export failed'); })();
}

/** SHA-256 of the raw public key, lowercase hex. */
export async function fingerprint(publicKey: Bytes): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey)));
}

/** X25519(private, public); undefined for the all-zero secret of a low-order point. */
async function sharedSecret(privateKey: CryptoKey, publicKey: Bytes): Promise<Bytes | undefined> {
  const peer = await crypto.subtle.importKey('raw', publicKey, X25519, false, []);
  let bits: ArrayBuffer;
  try {
    bits = await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, 256);
  } catch {
    return undefined; // WebCrypto itself refuses small-order points
  }
  const shared = new Uint8Array(bits);
  return shared.some((b) => b !== 0) ? shared : undefined;
}

/** Unwraps the private key with the vault password; checks the bounds before hashing and the pair after. */
export async function unwrapWithPassword(bundle: KeyBundle, userId: string, password: string): Promise<AccountKeyPair> {
  checkId(userId, 'user id');
  let kdf: KdfParams;
  try {
    kdf = parseKdfParams(bundle.password.kdf);
  } catch (error) {
    throw new AccountKeyError('KDF_OUT_OF_BOUNDS', (error as Error).message);
  }
  const publicKey = b64(bundle.public_key, 32, 'public_key');
  const kek = await deriveKeyFromPassphrase(password, b64(bundle.password.salt, 16, 'salt'), kdf);
  const key = await crypto.subtle.importKey('raw', kek, 'AES-GCM', false, ['decrypt']);
  let privateKey: Bytes;
  try {
    privateKey = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: b64(bundle.password.nonce, 12, 'nonce'), additionalData: passwordAad(userId, publicKey, kdf) },
        key,
        b64(bundle.password.wrapped, 48, 'wrapped'),
      ),
    );
  } catch {
    throw new AccountKeyError('WRONG_PASSWORD', 'wrong vault password');
  }
  const derived = await publicKeyOf(privateKey);
  if (toHex(derived) !== toHex(publicKey)) throw new AccountKeyError('PAIR_MISMATCH', 'the private key does not belong to the public key');
  return { publicKey, privateKey };
}

/** A fresh key pair wrapped with the vault password (no recovery wrap: `coffer keys recovery` adds one). */
export async function createKeyBundle(
  userId: string,
  password: string,
  options: { kdf?: KdfParams; pair?: AccountKeyPair; salt?: Bytes; nonce?: Bytes } = {},
): Promise<{ bundle: KeyBundle; pair: AccountKeyPair }> {
  checkId(userId, 'user id');
  if (password.length === 0) throw new RangeError('the vault password must not be empty');
  const kdf = parseKdfParams(options.kdf ?? DEFAULT_BUNDLE_KDF);
  const pair = options.pair ?? (await generatePair());
  const salt = options.salt ?? randomBytes(16);
  const nonce = options.nonce ?? randomBytes(12);
  const kek = await deriveKeyFromPassphrase(password, salt, kdf);
  const key = await crypto.subtle.importKey('raw', kek, 'AES-GCM', false, ['encrypt']);
  const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: passwordAad(userId, pair.publicKey, kdf) }, key, pair.privateKey));
  return {
    pair,
    bundle: { v: 1, public_key: toBase64(pair.publicKey), password: { kdf, salt: toBase64(salt), nonce: toBase64(nonce), wrapped: toBase64(wrapped) }, recovery: null },
  };
}

/** As `serializeKeyBundle` writes it: the fields in the format's order. */
export function serializeKeyBundle(bundle: KeyBundle): string {
  const { kdf, salt, nonce, wrapped } = bundle.password;
  return JSON.stringify({
    v: 1,
    public_key: bundle.public_key,
    password: { kdf: { alg: kdf.alg, m: kdf.m, t: kdf.t, p: kdf.p }, salt, nonce, wrapped },
    recovery: bundle.recovery && { nonce: bundle.recovery.nonce, wrapped: bundle.recovery.wrapped },
  });
}

async function generatePair(): Promise<AccountKeyPair> {
  const pair = (await crypto.subtle.generateKey(X25519, true, ['deriveBits']));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)), privateKey: pkcs8.slice(pkcs8.length - 32) };
}

async function sealKey(shared: Bytes, ephemeralPublic: Bytes, accountPublic: Bytes, usage: KeyUsage): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: concat(ephemeralPublic, accountPublic), info: ascii('coffer/v1/seal') },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

const fileKeyAad = (fileId: string) => concat(ascii('coffer/v1/file-key'), ascii(fileId));

/** Seals a DEK to the account public key: base64(0x01 || eph public || AES-GCM(K, 0¹², DEK, AAD) || tag). */
export async function sealFileKey(dek: Bytes, fileId: string, accountPublic: Bytes, ephemeralPrivate?: Bytes): Promise<string> {
  checkId(fileId, 'file id');
  if (dek.length !== 32 || accountPublic.length !== 32) throw new RangeError('keys have 32 bytes');
  const ephemeral = ephemeralPrivate ?? (await generatePair()).privateKey;
  const ephemeralPublic = await publicKeyOf(ephemeral);
  const shared = await sharedSecret(await importPrivate(ephemeral), accountPublic);
  if (!shared) throw new AccountKeyError('SEALED_KEY_INVALID', 'cannot seal to a low-order public key');
  const key = await sealKey(shared, ephemeralPublic, accountPublic, 'encrypt');
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: fileKeyAad(fileId) }, key, dek));
  return toBase64(concat(new Uint8Array([0x01]), ephemeralPublic, body));
}

/** Opens a sealed key with the account private key; any failure is SEALED_KEY_INVALID. */
export async function unsealFileKey(sealed: string, fileId: string, pair: AccountKeyPair): Promise<Bytes> {
  checkId(fileId, 'file id');
  const invalid = () => new AccountKeyError('SEALED_KEY_INVALID', 'the sealed file key does not open');
  const bytes = fromBase64(sealed, SEALED_SIZE);
  if (!bytes || bytes[0] !== 0x01) throw invalid();
  const ephemeralPublic = bytes.slice(1, 33);
  const shared = await sharedSecret(await importPrivate(pair.privateKey), ephemeralPublic);
  if (!shared) throw invalid();
  const key = await sealKey(shared, ephemeralPublic, pair.publicKey, 'decrypt');
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: fileKeyAad(fileId) }, key, bytes.slice(33)));
  } catch {
    throw invalid();
  }
}
