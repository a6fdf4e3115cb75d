/** Files: `/api/files/*` and `/api/user/usage` (docs/API.md). */

export type FileStatus = 'pending' | 'uploaded' | 'failed';
export type KeyManagementMode = 'vault' | 'passphrase';

/** Key derivation parameters of passphrase mode: `{"alg":"argon2id","m":65536,"t":3,"p":1}`. */
export interface KdfParams {
  alg: 'argon2id';
  /** Memory in KiB. */
  m: number;
  /** Passes. */
  t: number;
  /** Parallelism. */
  p: number;
}

/** `POST /api/files/presign`; `size` is the exact number of bytes the client will PUT. */
export interface PresignRequest {
  file_name: string;
  mime_type: string;
  size?: number | null;
}

export interface UploadResource {
  url: string;
  /** [ext] Always `PUT`. */
  method: 'PUT';
  /** [ext] Headers the PUT must carry. */
  headers: Record<string, string>;
  /** [ext] RFC 3339 UTC. */
  expires_at: string;
}

export interface PresignResponse {
  file_id: string;
  upload_resource: UploadResource;
}

/** `POST /api/files/complete`; every optional field is an extension. */
export interface CompleteRequest {
  file_id: string;
  plaintext_hash: string;
  plaintext_size_bytes: number;
  passphrase_salt: string;
  key_commitment?: string | null;
  kdf_params?: KdfParams | null;
  /** The file key sealed to the account public key: standard base64 of 81 bytes starting 0x01. */
  sealed_key?: string | null;
  /** The encrypted metadata record: standard base64, at most 4096 characters. */
  encrypted_metadata?: string | null;
  /** The blob's first 7 bytes as 14 lowercase hex characters. */
  nonce_prefix?: string | null;
}

/** The account-key fields of a file [ext]: null when the uploader sent none. */
export interface SealedFileFields {
  sealed_key: string | null;
  encrypted_metadata: string | null;
  nonce_prefix: string | null;
}

export interface CompleteResponse {
  s3_object_key: string;
  uploaded_file_size: number;
}

/** One element of `GET /api/files/all`. */
export interface FileSummary extends SealedFileFields {
  file_id: string;
  file_name: string;
  encrypted_size_bytes: number;
  status: FileStatus;
  /** null until the upload is completed. */
  key_management_mode: KeyManagementMode | null;
  created_at: string;
}

/** One element of `GET /api/files/resolve`. */
export interface ResolvedFile {
  file_name: string;
  file_id: string;
}

/** One element of `GET /api/files`. */
export interface FileDetails extends SealedFileFields {
  file_id: string;
  file_name: string;
  status: FileStatus;
  plaintext_size_bytes: number;
  encrypted_size_bytes: number;
  s3_key: string;
  key_management_mode: KeyManagementMode | null;
  plaintext_hash: string;
  /** [ext] */
  key_commitment: string | null;
  /** [ext] */
  kdf_params: KdfParams | null;
  /** [ext] */
  created_at: string;
}

/** `GET /api/files/salt`. */
export interface SaltResponse {
  salt: string;
}

/** `GET /api/files/hash`. */
export interface HashResponse {
  hash: string;
}

/** `GET /api/user/usage` [ext]. */
export interface UsageResponse {
  used_bytes: number;
  reserved_bytes: number;
  quota_bytes: number;
  file_count: number;
  max_files: number;
  max_file_size_bytes: number;
}

/** The `id` query parameter of resolve, details and delete: a file id or a prefix of one. */
export interface IdPrefixQuery {
  id: string;
}

/** The `id` query parameter of salt and hash: a complete file id. */
export interface FileIdQuery {
  id: string;
}
