import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { TAG_SIZE } from './blob-format';

/** AES-256-GCM without associated data; the result is ciphertext followed by the 16-byte tag. */
export function gcmSeal(key: KeyObject, nonce: Uint8Array, plaintext: Uint8Array): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Opens `ciphertext || tag`; throws (Node's own error) when the tag does not verify or is cut short. */
export function gcmOpen(key: KeyObject, nonce: Uint8Array, sealed: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  decipher.final();
  return plaintext;
}
