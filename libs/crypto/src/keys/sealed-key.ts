import { assertKeySize, KEY_SIZE } from '../format/keys';
import { AccountKeyError } from './account-key-error';
import { aeadOpen, aeadSeal, GCM_NONCE_SIZE, GCM_TAG_SIZE, hkdf32, label } from './aead';
import { decodeBase64, idBytes } from './encoding';
import { accountKeyPairOf, generateAccountKeyPair, x25519, X25519_KEY_SIZE, type AccountKeyPair } from './key-pair';

const SEALED_VERSION = 0x01;
const SEAL_INFO = 'coffer/v1/seal';
const FILE_KEY_LABEL = 'coffer/v1/file-key';
/** K is used for one message only (a fresh ephemeral key per seal), so a fixed nonce is safe. */
const ZERO_NONCE = Buffer.alloc(GCM_NONCE_SIZE);

/** 0x01 || ephemeral public key || AES-256-GCM(DEK) || tag = 81 bytes, 108 base64 characters. */
export const SEALED_KEY_SIZE = 1 + X25519_KEY_SIZE + KEY_SIZE + GCM_TAG_SIZE;

/** Seals a file's DEK to the account public key (ephemeral-static X25519, HKDF-SHA256, AES-256-GCM); base64. */
export function sealFileKey(dek: Uint8Array, fileId: string, accountPublicKey: Uint8Array): string {
  return sealFileKeyUsing(dek, fileId, accountPublicKey, generateAccountKeyPair().privateKey);
}

/** `sealFileKey` with the ephemeral private key given (test vectors). */
export function sealFileKeyUsing(dek: Uint8Array, fileId: string, accountPublicKey: Uint8Array, ephemeralPrivateKey: Uint8Array): string {
  assertKeySize(dek, 'DEK');
  const file = idBytes(fileId, 'file id');
  const recipient = Buffer.from(accountPublicKey);
  const ephemeral = accountKeyPairOf(ephemeralPrivateKey);
  const key = sealKey(x25519(ephemeral.privateKey, recipient), ephemeral.publicKey, recipient);
  if (key === undefined) throw new AccountKeyError('MALFORMED', 'the account public key is not a usable X25519 key (low-order point)');
  const body = aeadSeal(key, ZERO_NONCE, dek, fileKeyAad(file));
  return Buffer.concat([Buffer.of(SEALED_VERSION), ephemeral.publicKey, body]).toString('base64');
}

/** Opens a sealed key of `fileId` with the account key pair; any failure is SEALED_KEY_INVALID. */
export function unsealFileKey(sealed: string, fileId: string, pair: AccountKeyPair): Buffer {
  const file = idBytes(fileId, 'file id');
  const bytes = decodeBase64(sealed, SEALED_KEY_SIZE);
  if (bytes === undefined || bytes[0] !== SEALED_VERSION) throw invalid();
  const ephemeralPublicKey = bytes.subarray(1, 1 + X25519_KEY_SIZE);
  const key = sealKey(x25519(pair.privateKey, ephemeralPublicKey), ephemeralPublicKey, pair.publicKey);
  const dek = key && aeadOpen(key, ZERO_NONCE, bytes.subarray(1 + X25519_KEY_SIZE), fileKeyAad(file));
  if (!dek) throw invalid();
  return dek;
}

/** K = HKDF-SHA256(shared, salt = ephemeral public || account public, info "coffer/v1/seal"); none without a shared secret. */
function sealKey(shared: Buffer | undefined, ephemeralPublicKey: Uint8Array, accountPublicKey: Uint8Array): Buffer | undefined {
  return shared && hkdf32(shared, Buffer.concat([ephemeralPublicKey, accountPublicKey]), SEAL_INFO);
}

/** "coffer/v1/file-key" || file id (36 ASCII): a sealed key opens only for its own file. */
export function fileKeyAad(fileId: Buffer): Buffer {
  return Buffer.concat([label(FILE_KEY_LABEL), fileId]);
}

function invalid(): AccountKeyError {
  return new AccountKeyError('SEALED_KEY_INVALID', 'the sealed file key does not open with this account key (wrong account, wrong file, or changed)');
}
