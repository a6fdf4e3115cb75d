import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CHUNK_SIZE, TAG_SIZE } from './blob-format';
import { nativeGcm } from './native-gcm';

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

/** Plaintexts of successive frames are carved out of blocks of this size (16 full frames). */
const OPEN_BLOCK_SIZE = 16 * CHUNK_SIZE;

/**
 * Opens the frames of one blob, one after another: returns the plaintext, or undefined when the tag
 * does not verify. With the native binding, plaintexts are cut from 1 MiB blocks instead of one
 * fresh buffer each; a block is never reused, so a plaintext stays valid as long as it is kept.
 */
export function frameOpener(rawKey: Uint8Array, key: KeyObject): (nonce: Uint8Array, sealed: Uint8Array) => Buffer | undefined {
  const native = nativeGcm.binding;
  if (!native) {
    return (nonce, sealed) => {
      try {
        return gcmOpen(key, nonce, sealed);
      } catch {
        return undefined;
      }
    };
  }
  let block = Buffer.alloc(0);
  let used = 0;
  return (nonce, sealed) => {
    const size = sealed.length - TAG_SIZE;
    if (size < 0) return undefined;
    if (used + size > block.length) {
      block = Buffer.allocUnsafeSlow(Math.max(OPEN_BLOCK_SIZE, size));
      used = 0;
    }
    const plaintext = block.subarray(used, used + size);
    if (!native.open(rawKey, nonce, sealed, plaintext)) return undefined;
    used += size;
    return plaintext;
  };
}
