import { createHmac, timingSafeEqual } from 'node:crypto';
import { NONCE_PREFIX_SIZE } from './blob';
import { assertKeySize } from './keys';

const COMMITMENT_LABEL = Buffer.from('coffer/v1/commit', 'utf8');

/**
 * Key commitment of a blob: base64 of HMAC-SHA256(dek, "coffer/v1/commit" || noncePrefix).
 * AES-GCM alone is not key-committing; checking this before decrypting pins the one key a blob
 * was written with.
 */
export function keyCommitment(dek: Uint8Array, noncePrefix: Uint8Array): string {
  return commitmentMac(dek, noncePrefix).toString('base64');
}

/** Constant-time check of a base64 commitment; any malformed value simply does not match. */
export function verifyKeyCommitment(dek: Uint8Array, noncePrefix: Uint8Array, commitment: string): boolean {
  const expected = commitmentMac(dek, noncePrefix);
  const claimed = Buffer.from(commitment, 'base64');
  return claimed.length === expected.length && timingSafeEqual(claimed, expected);
}

function commitmentMac(dek: Uint8Array, noncePrefix: Uint8Array): Buffer {
  assertKeySize(dek, 'DEK');
  if (noncePrefix.length !== NONCE_PREFIX_SIZE) {
    throw new RangeError(`nonce prefix must be ${NONCE_PREFIX_SIZE} bytes, got ${noncePrefix.length}`);
  }
  return createHmac('sha256', dek).update(COMMITMENT_LABEL).update(noncePrefix).digest();
}
