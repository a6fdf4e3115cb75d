import { randomBytes } from 'node:crypto';
import { AccountKeyError } from './account-key-error';
import { aeadOpen, aeadSeal, GCM_NONCE_SIZE, hkdf32, label } from './aead';
import { idBytes } from './encoding';
import { checkedPair, type AccountKeyPair } from './key-pair';
import { decodeKeyBundle, type KeyBundle, type RecoveryWrap } from './key-bundle';
import { parseRecoveryCode } from './recovery-code';

const RECOVERY_LABEL = 'coffer/v1/recovery-key';
const RECOVERY_INFO = 'coffer/v1/recovery';

/** Wraps the private key under HKDF-SHA256(recovery code bytes, salt = user id); the pair is checked first. */
export function wrapWithRecoveryCode(pair: AccountKeyPair, userId: string, code: string): RecoveryWrap {
  return wrapWithRecoveryCodeUsing(pair, userId, code, randomBytes(GCM_NONCE_SIZE));
}

/** `wrapWithRecoveryCode` with its nonce given (test vectors). */
export function wrapWithRecoveryCodeUsing(pair: AccountKeyPair, userId: string, code: string, nonce: Uint8Array): RecoveryWrap {
  const user = idBytes(userId, 'user id');
  if (nonce.length !== GCM_NONCE_SIZE) throw new RangeError('nonce must be 12 bytes');
  const checked = checkedPair(pair.privateKey, pair.publicKey);
  const wrapped = aeadSeal(recoveryKey(code, user), nonce, checked.privateKey, recoveryAad(user, checked.publicKey));
  return { nonce: Buffer.from(nonce).toString('base64'), wrapped: wrapped.toString('base64') };
}

/** Unwraps the private key with the recovery code; a wrong code or a changed bundle is WRONG_RECOVERY_CODE. */
export function unwrapWithRecoveryCode(bundle: KeyBundle, userId: string, code: string): AccountKeyPair {
  const decoded = decodeKeyBundle(bundle);
  const user = idBytes(userId, 'user id');
  if (decoded.recovery === null) throw new AccountKeyError('NO_RECOVERY_CODE', 'this account has no recovery code');
  const { nonce, wrapped } = decoded.recovery;
  const privateKey = aeadOpen(recoveryKey(code, user), nonce, wrapped, recoveryAad(user, decoded.publicKey));
  if (privateKey === undefined) {
    throw new AccountKeyError('WRONG_RECOVERY_CODE', 'wrong recovery code (or a key bundle that is not this account\'s, or was changed)');
  }
  return checkedPair(privateKey, decoded.publicKey);
}

function recoveryKey(code: string, userId: Buffer): Buffer {
  return hkdf32(parseRecoveryCode(code), userId, RECOVERY_INFO);
}

/** "coffer/v1/recovery-key" || user id (36 ASCII) || raw public key (32). */
export function recoveryAad(userId: Buffer, publicKey: Buffer): Buffer {
  return Buffer.concat([label(RECOVERY_LABEL), userId, publicKey]);
}
