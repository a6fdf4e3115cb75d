import type { KdfParams, KeyManagementMode } from './files';

/** `GET /files/meta/{userIdHash}/{fileId}` [ext]: what a recipient with only the link needs. */
export interface FileMetaResponse {
  file_name: string;
  key_management_mode: KeyManagementMode;
  /** Standard base64; empty in vault mode. */
  passphrase_salt: string;
  kdf_params: KdfParams | null;
  key_commitment: string | null;
  encrypted_size_bytes: number;
  plaintext_hash: string;
  /** [ext] The encrypted metadata record (name, media type, hash, size), when the uploader sent one. */
  encrypted_metadata: string | null;
  /** [ext] The blob's first 7 bytes as hex, to check a key against key_commitment before downloading. */
  nonce_prefix: string | null;
}
