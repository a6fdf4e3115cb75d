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

/**
 * `POST /files/download/{userIdHash}/{fileId}/session` [ext]: one download, counted once against
 * the daily limit, that the client may fetch in as many ranged requests as it likes (`Range` on the
 * signed URL) and resume after an interruption, exchanging the session for fresh URLs.
 */
export interface DownloadSessionResponse {
  /** Opaque secret bound to this file; exchange it for fresh signed URLs until `expires_at`. */
  session: string;
  /** When the session stops working (ISO 8601). */
  expires_at: string;
  /** Signed GET of the blob; takes `Range` requests (206). */
  url: string;
  /** When `url` stops working (ISO 8601). */
  url_expires_at: string;
  /** Size of the blob in bytes. */
  size: number;
}

/** `POST /files/download/{userIdHash}/{fileId}/session/url` [ext]: a fresh signed URL; counts nothing. */
export interface DownloadSessionUrlRequest {
  session: string;
}

export interface DownloadSessionUrlResponse {
  url: string;
  url_expires_at: string;
  expires_at: string;
}
