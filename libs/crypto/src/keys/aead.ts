import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

export const GCM_NONCE_SIZE = 12;
export const GCM_TAG_SIZE = 16;

/** AES-256-GCM with associated data; returns ciphertext || tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_SIZE });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Opens ciphertext || tag; `undefined` when the tag does not verify or the input is too short. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (sealed.length < GCM_TAG_SIZE) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_SIZE });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_SIZE));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_SIZE)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** HKDF-SHA256 (RFC 5869), 32 bytes. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'ascii'), 32));
}

export function label(text: string): Buffer {
  return Buffer.from(text, 'ascii');
}
