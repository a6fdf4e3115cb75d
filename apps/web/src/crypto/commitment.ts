import { ascii, concat, fromBase64, type Bytes } from './bytes';
import { KEY_SIZE, NONCE_PREFIX_SIZE } from './blob-format';

const COMMITMENT_LABEL = ascii('coffer/v1/commit');

/**
 * Whether `dek` produced the commitment: HMAC-SHA256(DEK, "coffer/v1/commit" || prefix), base64
 * (docs/FORMAT.md, "Key commitment"). WebCrypto's HMAC verify compares in constant time; a
 * malformed commitment simply does not match.
 */
export async function verifyKeyCommitment(dek: Bytes, noncePrefix: Bytes, commitment: string): Promise<boolean> {
  if (dek.length !== KEY_SIZE || noncePrefix.length !== NONCE_PREFIX_SIZE) return false;
  const claimed = fromBase64(commitment, 32);
  if (!claimed) return false;
  const key = await crypto.subtle.importKey('raw', dek, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, claimed, concat(COMMITMENT_LABEL, noncePrefix));
}
