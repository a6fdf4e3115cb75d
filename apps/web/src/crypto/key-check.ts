import { fromHex, type Bytes } from './bytes';
import { verifyKeyCommitment } from './commitment';
import { DecryptionError } from './decryption-error';
import { decryptMetadata, type FileMetadata } from './metadata-record';

/** The key is not this file's: nothing was downloaded (the check runs on the uncounted meta). */
export class WrongKeyError extends Error {
  override readonly name = 'WrongKeyError';
}

/** The key matches the commitment but the file's record does not open: it was changed. */
export class TamperedError extends Error {
  override readonly name = 'TamperedError';
}

export interface PublicMeta {
  key_commitment: string | null;
  nonce_prefix?: string | null;
  encrypted_metadata?: string | null;
}

export interface KeyCheck {
  /** The decrypted record, when the file has one. */
  metadata?: FileMetadata;
  /** true: the commitment proved the key; undefined: the meta gave nothing to check it against. */
  committed?: boolean;
}

/**
 * Checks a key before the counted download (docs/FORMAT.md, "Key commitment"; the CLI's
 * checkKeyBeforeDownload): the commitment against the public nonce prefix, then the encrypted
 * metadata record, whose tag only the right key opens.
 */
export async function checkKeyBeforeDownload(meta: PublicMeta, fileId: string, dek: Bytes): Promise<KeyCheck> {
  const prefix = fromHex(meta.nonce_prefix, 7);
  const committed = meta.key_commitment && prefix ? await verifyKeyCommitment(dek, prefix, meta.key_commitment) : undefined;
  if (committed === false) throw new WrongKeyError('the key does not match the key commitment');
  if (!meta.encrypted_metadata) return { committed };
  try {
    return { committed, metadata: await decryptMetadata(meta.encrypted_metadata, dek, fileId) };
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    if (committed) throw new TamperedError('the metadata record does not open with the right key');
    throw new WrongKeyError('the key does not open the metadata record');
  }
}
