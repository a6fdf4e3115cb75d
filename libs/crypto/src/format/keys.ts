import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export const KEY_SIZE = 32;

/** A fresh random 32-byte data encryption key (vault mode: one per file). */
export function randomDek(): Buffer {
  return randomBytes(KEY_SIZE);
}

export function assertKeySize(key: Uint8Array, what = 'key'): void {
  if (key.length !== KEY_SIZE) throw new RangeError(`${what} must be ${KEY_SIZE} bytes, got ${key.length}`);
}

/** Validates the key once and wraps it so the per-frame ciphers do not re-import raw bytes. */
export function toAesKey(key: Uint8Array): KeyObject {
  assertKeySize(key);
  return createSecretKey(key);
}
