const DECRYPTION_FAILED_MESSAGE = 'decryption failed: wrong key or corrupted/tampered data';

/**
 * The one error of every decryption failure: wrong key, bad tag, bad key commitment, plaintext hash
 * mismatch, reordered, dropped, duplicated, truncated or extended frames. One message for all, so
 * the failure says nothing about which check tripped.
 */
export class DecryptionError extends Error {
  constructor() {
    super(DECRYPTION_FAILED_MESSAGE);
    this.name = 'DecryptionError';
  }
}
