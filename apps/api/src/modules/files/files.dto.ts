import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { PresignedRequest } from '@coffer/storage';
import type * as wire from '@coffer/contract';
import type { FileRecord, FileStatus, KeyManagementMode } from './file.repository';
import { toRfc3339 } from '../../common/rfc3339';
import { IsDisplaySafeText } from '../../common/validation';
import { FILE_ID_PATTERN, ID_PREFIX_PATTERN } from './file-id';
import { CompletedPartRefDto } from './multipart.dto';

// ---- requests ----

/** Standard base64 with padding; the empty string is allowed where a field may be empty. */
const BASE64_OR_EMPTY = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;
const SHA256_HEX_OR_EMPTY = /^(?:[0-9a-f]{64})?$/;
/**
 * A sealed file key (docs/FORMAT.md): standard base64 of exactly 81 bytes (108 characters, no
 * padding) whose first byte is the version 0x01, i.e. whose first two characters are `A` and one
 * of `Q`–`Z`, `a`–`f`.
 */
export const SEALED_KEY_PATTERN = /^A[Q-Za-f][A-Za-z0-9+/]{106}$/;
/** The blob's first 7 bytes (version and nonce prefix) as lowercase hex. */
const NONCE_PREFIX_PATTERN = /^[0-9a-f]{14}$/;
export const ENCRYPTED_METADATA_MAX_CHARS = 4096;

export class PresignRequest implements wire.PresignRequest {
  @ApiProperty({ description: '1–255 characters, no control characters, bidi controls or line separators', example: 'report.pdf' })
  @IsString()
  @IsDisplaySafeText('file_name', 255)
  file_name!: string;

  @ApiProperty({ description: 'At most 255 characters', example: 'application/pdf' })
  @IsString()
  @MaxLength(255)
  mime_type!: string;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description:
      'Exact number of bytes the client will PUT (the ciphertext). When given, it is reserved against the quota and signed into the upload URL.',
    example: 1048608,
  })
  @IsOptional()
  @IsInt({ message: 'size must be a whole number of bytes' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  size?: number | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: '[ext] Ask for a multipart upload: honoured with a `size` of at least MULTIPART_THRESHOLD_BYTES (the answer then has `multipart` instead of `upload_resource`)',
  })
  @IsOptional()
  @IsBoolean({ message: 'multipart must be true or false' })
  multipart?: boolean | null;
}

export class KdfParamsDto implements wire.KdfParams {
  @ApiProperty({ enum: ['argon2id'], description: 'The algorithm: only argon2id' })
  @IsIn(['argon2id'])
  alg!: 'argon2id';

  @ApiProperty({ description: 'Memory in KiB (19 MiB … 1 GiB)', example: 65536 })
  @IsInt()
  @Min(19 * 1024)
  @Max(1024 * 1024)
  m!: number;

  @ApiProperty({ description: 'Passes (1–10)', example: 3 })
  @IsInt()
  @Min(1)
  @Max(10)
  t!: number;

  @ApiProperty({ description: 'Parallelism (1–8)', example: 1 })
  @IsInt()
  @Min(1)
  @Max(8)
  p!: number;
}

export class CompleteRequest implements wire.CompleteRequest {
  @ApiProperty({ format: 'uuid', description: 'The id presign answered' })
  @IsString()
  @Matches(FILE_ID_PATTERN, { message: 'file_id must be a lowercase UUID' })
  file_id!: string;

  @ApiProperty({ description: 'Lowercase hex SHA-256 of the plaintext, or empty', example: '' })
  @IsString()
  @Matches(SHA256_HEX_OR_EMPTY, { message: 'plaintext_hash must be 64 lowercase hex characters or empty' })
  plaintext_hash!: string;

  @ApiProperty({ type: 'integer', example: 1048576, description: 'Size of the plaintext in bytes' })
  @IsInt({ message: 'plaintext_size_bytes must be a whole number of bytes' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  plaintext_size_bytes!: number;

  @ApiProperty({ description: 'Standard base64 (with padding), or empty for vault mode', example: '' })
  @IsString()
  @MaxLength(1024)
  @Matches(BASE64_OR_EMPTY, { message: 'passphrase_salt must be standard base64 with padding, or empty' })
  passphrase_salt!: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: '[ext] Key commitment, standard base64' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  @Matches(BASE64, { message: 'key_commitment must be standard base64 with padding' })
  key_commitment?: string | null;

  @ApiPropertyOptional({ description: '[ext] Key derivation parameters of passphrase mode', type: KdfParamsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => KdfParamsDto)
  kdf_params?: KdfParamsDto | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: '[ext] The file key sealed to the account public key: standard base64 of 81 bytes starting with 0x01 (108 characters)' })
  @IsOptional()
  @IsString()
  @Matches(SEALED_KEY_PATTERN, { message: 'sealed_key must be standard base64 of 81 bytes starting with 0x01' })
  sealed_key?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: '[ext] The encrypted metadata record: standard base64, at most 4096 characters' })
  @IsOptional()
  @IsString()
  @MaxLength(ENCRYPTED_METADATA_MAX_CHARS, { message: `encrypted_metadata must be at most ${ENCRYPTED_METADATA_MAX_CHARS} characters` })
  @Matches(BASE64, { message: 'encrypted_metadata must be standard base64 with padding' })
  encrypted_metadata?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: "[ext] The blob's first 7 bytes as 14 lowercase hex characters" })
  @IsOptional()
  @IsString()
  @Matches(NONCE_PREFIX_PATTERN, { message: 'nonce_prefix must be 14 lowercase hex characters' })
  nonce_prefix?: string | null;

  @ApiPropertyOptional({
    type: CompletedPartRefDto,
    isArray: true,
    nullable: true,
    description: '[ext] Multipart files only (required there): every part, ascending, with the etag its PUT answered',
  })
  @IsOptional()
  @IsArray({ message: 'parts must be an array' })
  @ArrayMaxSize(10_000, { message: 'parts names at most 10000 parts' })
  @ValidateNested({ each: true })
  @Type(() => CompletedPartRefDto)
  parts?: CompletedPartRefDto[] | null;
}

/** `PUT /api/files/sealed-key` [ext]. */
export class SealedKeyRequest implements wire.SealedKeyRequest {
  @ApiProperty({ format: 'uuid', description: 'A complete file id of one of the caller\'s uploaded files' })
  @IsString()
  @Matches(FILE_ID_PATTERN, { message: 'file_id must be a lowercase UUID' })
  file_id!: string;

  @ApiProperty({ description: 'The file key sealed to the account public key: standard base64 of 81 bytes starting with 0x01 (108 characters)' })
  @IsString()
  @Matches(SEALED_KEY_PATTERN, { message: 'sealed_key must be standard base64 of 81 bytes starting with 0x01' })
  sealed_key!: string;
}

export class IdPrefixQuery implements wire.IdPrefixQuery {
  @ApiProperty({ description: 'A file id or a prefix of one: 1–36 characters of [0-9a-f-]', example: '3f2a' })
  @IsString()
  @Matches(ID_PREFIX_PATTERN, { message: 'id must be 1–36 characters of [0-9a-f-]' })
  id!: string;
}

export class FileIdQuery implements wire.FileIdQuery {
  @ApiProperty({ description: 'A complete file id (lowercase UUID)', format: 'uuid' })
  @IsString()
  @Matches(FILE_ID_PATTERN, { message: 'id must be a lowercase UUID' })
  id!: string;
}

// ---- responses ----

export class UploadResource implements wire.UploadResource {
  @ApiProperty({ description: 'Presigned URL taking one unauthenticated PUT of the blob' })
  url!: string;

  @ApiProperty({ description: '[ext] The method of the upload: always PUT', enum: ['PUT'] })
  method!: 'PUT';

  @ApiProperty({ description: '[ext] Headers the PUT must carry', example: { 'Content-Type': 'application/octet-stream' } })
  headers!: Record<string, string>;

  @ApiProperty({ description: '[ext] When the URL stops working (RFC 3339 UTC)', example: '2026-01-01T00:15:00Z' })
  expires_at!: string;
}

export class PresignResponse implements wire.PresignResponse {
  @ApiProperty({ format: 'uuid', description: 'The id of the new (pending) file' })
  file_id!: string;

  @ApiProperty({ type: UploadResource, description: 'Where and how to PUT the blob' })
  upload_resource!: UploadResource;
}

export class CompleteResponse implements wire.CompleteResponse {
  @ApiProperty({ description: '`usrh-<32 hex>/<file id>`; the share link is `<PUBLIC_URL>/files/download/` + this', example: 'usrh-0123456789abcdef0123456789abcdef/3f2a…' })
  s3_object_key!: string;

  @ApiProperty({ description: 'Stored (encrypted) size in bytes' })
  uploaded_file_size!: number;
}

const STATUS_VALUES: wire.FileStatus[] = ['pending', 'uploaded', 'failed'];

const SEALED_KEY_DOC = { type: String, nullable: true, description: '[ext] The file key sealed to the account public key (base64), or null' } as const;
const ENCRYPTED_METADATA_DOC = { type: String, nullable: true, description: '[ext] The encrypted metadata record (base64), or null' } as const;
const NONCE_PREFIX_DOC = { type: String, nullable: true, description: "[ext] The blob's first 7 bytes as hex, or null" } as const;
const MODE_VALUES: wire.KeyManagementMode[] = ['vault', 'passphrase'];

export class FileSummary implements wire.FileSummary {
  @ApiProperty({ format: 'uuid', description: 'The file id' })
  file_id!: string;

  @ApiProperty({ description: 'The name given at presign' })
  file_name!: string;

  @ApiProperty({ description: 'Stored bytes; 0 until the upload is completed' })
  encrypted_size_bytes!: number;

  @ApiProperty({ enum: STATUS_VALUES, description: 'pending until completed; failed when the upload was discarded' })
  status!: wire.FileStatus;

  @ApiProperty({ enum: MODE_VALUES, nullable: true, description: 'null until the upload is completed' })
  key_management_mode!: KeyManagementMode | null;

  @ApiProperty({ example: '2026-01-01T00:00:00Z', description: 'RFC 3339 UTC' })
  created_at!: string;

  @ApiProperty(SEALED_KEY_DOC)
  sealed_key!: string | null;

  @ApiProperty(ENCRYPTED_METADATA_DOC)
  encrypted_metadata!: string | null;

  @ApiProperty(NONCE_PREFIX_DOC)
  nonce_prefix!: string | null;
}

export class ResolvedFile implements wire.ResolvedFile {
  @ApiProperty({ description: 'The name given at presign' })
  file_name!: string;

  @ApiProperty({ format: 'uuid', description: 'The complete file id' })
  file_id!: string;
}

export class FileDetails implements wire.FileDetails {
  @ApiProperty({ format: 'uuid', description: 'The file id' })
  file_id!: string;

  @ApiProperty({ description: 'The name given at presign' })
  file_name!: string;

  @ApiProperty({ enum: STATUS_VALUES, description: 'pending until completed; failed when the upload was discarded' })
  status!: wire.FileStatus;

  @ApiProperty({ description: '0 until the upload is completed' })
  plaintext_size_bytes!: number;

  @ApiProperty({ description: '0 until the upload is completed' })
  encrypted_size_bytes!: number;

  @ApiProperty({ description: '`usrh-<32 hex>/<file id>`; the share link is `<PUBLIC_URL>/files/download/` + this' })
  s3_key!: string;

  @ApiProperty({ enum: MODE_VALUES, nullable: true, description: 'vault when the salt was empty at complete, else passphrase; null until completed' })
  key_management_mode!: KeyManagementMode | null;

  @ApiProperty({ description: 'Lowercase hex SHA-256 of the plaintext, or empty' })
  plaintext_hash!: string;

  @ApiProperty({ description: '[ext] Base64 key commitment, when the uploader sent one', nullable: true, type: String })
  key_commitment!: string | null;

  @ApiProperty({ description: '[ext] Key derivation parameters of passphrase mode', nullable: true, type: KdfParamsDto })
  kdf_params!: wire.KdfParams | null;

  @ApiProperty({ description: '[ext] RFC 3339 UTC', example: '2026-01-01T00:00:00Z' })
  created_at!: string;

  @ApiProperty(SEALED_KEY_DOC)
  sealed_key!: string | null;

  @ApiProperty(ENCRYPTED_METADATA_DOC)
  encrypted_metadata!: string | null;

  @ApiProperty(NONCE_PREFIX_DOC)
  nonce_prefix!: string | null;
}

export class SaltResponse implements wire.SaltResponse {
  @ApiProperty({ description: 'Standard base64' })
  salt!: string;
}

export class HashResponse implements wire.HashResponse {
  @ApiProperty({ description: 'Lowercase hex SHA-256 of the plaintext, or empty' })
  hash!: string;
}

// ---- mapping ----

/** Deleted files are never listed; a deleted row reaching a response is a bug, not a status. */
function wireStatus(status: FileStatus): wire.FileStatus {
  if (status === 'deleted') throw new Error('a deleted file cannot be answered');
  return status;
}

export function toPresignResponse(fileId: string, upload: PresignedRequest): PresignResponse {
  return {
    file_id: fileId,
    upload_resource: { url: upload.url, method: 'PUT', headers: upload.headers, expires_at: toRfc3339(upload.expiresAt) },
  };
}

export function toCompleteResponse(file: Pick<FileRecord, 'objectKey' | 'encryptedSizeBytes'>): CompleteResponse {
  return { s3_object_key: file.objectKey, uploaded_file_size: file.encryptedSizeBytes ?? 0 };
}

export function toFileSummary(file: FileRecord): FileSummary {
  return {
    file_id: file.id,
    file_name: file.fileName,
    encrypted_size_bytes: file.encryptedSizeBytes ?? 0,
    status: wireStatus(file.status),
    key_management_mode: file.keyManagementMode,
    created_at: toRfc3339(file.createdAt),
    ...sealedFields(file),
  };
}

/** The account-key fields every owner view carries (null when the uploader sent none). */
function sealedFields(file: FileRecord): wire.SealedFileFields {
  return { sealed_key: file.sealedKey, encrypted_metadata: file.encryptedMetadata, nonce_prefix: file.noncePrefix };
}

export function toResolvedFile(file: FileRecord): ResolvedFile {
  return { file_name: file.fileName, file_id: file.id };
}

export function toFileDetails(file: FileRecord): FileDetails {
  return {
    file_id: file.id,
    file_name: file.fileName,
    status: wireStatus(file.status),
    plaintext_size_bytes: file.plaintextSizeBytes ?? 0,
    encrypted_size_bytes: file.encryptedSizeBytes ?? 0,
    s3_key: file.objectKey,
    key_management_mode: file.keyManagementMode,
    plaintext_hash: file.plaintextHash,
    key_commitment: file.keyCommitment,
    kdf_params: file.kdfParams,
    created_at: toRfc3339(file.createdAt),
    ...sealedFields(file),
  };
}
