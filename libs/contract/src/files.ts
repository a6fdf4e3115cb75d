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
  /**
   * [ext] Ask for a multipart upload (issue 19). Honoured only with `size` >= the server's
   * threshold; otherwise the answer is the single-PUT `PresignResponse`. Requires `size`.
   */
  multipart?: boolean | null;
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

/** The single-PUT answer of presign (every Hashdrop client, and small files). */
export interface PresignResponse {
  file_id: string;
  upload_resource: UploadResource;
}

/**
 * [ext] How a multipart upload is cut, chosen by the server. `part_size` is a whole number of
 * encrypted frames (`MULTIPART_FRAME_BYTES` each), so part i (1-based) holds frames
 * [(i-1)·F, i·F) with F = part_size / 65,568 and can be encrypted on its own. Every part but the
 * last is exactly `part_size` bytes; the last is `last_part_size` (1..part_size) bytes.
 */
export interface MultipartPlan {
  part_size: number;
  part_count: number;
  last_part_size: number;
  /** RFC 3339 UTC: the upload is abandoned (and aborted) after this unless POST /api/files/parts extends it. */
  expires_at: string;
}

/** [ext] Presign's answer for a multipart upload: no upload_resource; get part URLs from POST /api/files/parts. */
export interface MultipartPresignResponse {
  file_id: string;
  multipart: MultipartPlan;
}

/** What presign answers a client that sent `multipart: true`: either shape. */
export type PresignAnswer = PresignResponse | MultipartPresignResponse;

/** [ext] `POST /api/files/parts`: presigned URLs for some parts (1..100 distinct numbers in 1..part_count). */
export interface PartUrlsRequest {
  file_id: string;
  part_numbers: number[];
}

/** One presigned part PUT: the URL takes exactly `size` bytes; its answer's `ETag` header is the part's etag. */
export interface PartUrl {
  part_number: number;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  size: number;
  /** RFC 3339 UTC. */
  expires_at: string;
}

export interface PartUrlsResponse {
  parts: PartUrl[];
  /** The upload's new expiry (each call extends it by the presign lifetime). */
  expires_at: string;
}

/** One part as storage holds it now. */
export interface StoredPart {
  part_number: number;
  size: number;
  /** As storage reports it (S3: a quoted hex string); compare without the quotes. */
  etag: string;
}

/** [ext] `GET /api/files/parts?id=<uuid>`: the plan and what storage holds (resume). */
export interface UploadedPartsResponse extends MultipartPlan {
  file_id: string;
  /** `completing`: a completion is running; `parts` is then empty: repeat POST /api/files/complete. */
  state: 'uploading' | 'completing';
  parts: StoredPart[];
}

/** One part named at completion: the version (etag) the client uploaded and means. */
export interface CompletedPartRef {
  part_number: number;
  etag: string;
}

/** [ext] `202` of complete for a multipart file whose storage completion is still running. */
export interface CompleteAccepted {
  file_id: string;
  status: 'completing';
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
  /**
   * [ext] Required for a multipart file, absent or null for a single-PUT one (else 400): every
   * part 1..part_count, in ascending order, with the etag its PUT answered.
   */
  parts?: CompletedPartRef[] | null;
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
