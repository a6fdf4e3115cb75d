import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type * as wire from '@coffer/contract';
import type { FileRecord } from '../files/file.repository';
import { KdfParamsDto } from '../files/files.dto';

/** What a recipient holding only the link needs to decrypt and verify the blob. */
export class FileMetaResponse implements wire.FileMetaResponse {
  @ApiProperty({ description: 'The name given at presign' })
  file_name!: string;

  @ApiProperty({ enum: ['vault', 'passphrase'], description: 'passphrase: derive the key from a passphrase and the salt; vault: the key travels separately' })
  key_management_mode!: wire.KeyManagementMode;

  @ApiProperty({ description: 'Standard base64; empty in vault mode' })
  passphrase_salt!: string;

  @ApiProperty({ nullable: true, type: KdfParamsDto, description: 'Key derivation parameters of passphrase mode, when the uploader sent them' })
  kdf_params!: wire.KdfParams | null;

  @ApiProperty({ nullable: true, type: String, description: 'Base64 key commitment, when the uploader sent one' })
  key_commitment!: string | null;

  @ApiProperty({ description: 'Size of the blob in bytes' })
  encrypted_size_bytes!: number;

  @ApiProperty({ description: 'Lowercase hex SHA-256 of the plaintext, or empty (Coffer clients with account keys send it only inside encrypted_metadata)' })
  plaintext_hash!: string;

  @ApiProperty({ nullable: true, type: String, description: '[ext] The encrypted metadata record (name, media type, hash, size; base64), when the uploader sent one' })
  encrypted_metadata!: string | null;

  @ApiProperty({ nullable: true, type: String, description: "[ext] The blob's first 7 bytes as hex, to check a key against key_commitment before the counted download" })
  nonce_prefix!: string | null;
}

export function toFileMeta(file: FileRecord): FileMetaResponse {
  return {
    file_name: file.fileName,
    key_management_mode: file.keyManagementMode ?? 'vault',
    passphrase_salt: file.passphraseSalt,
    kdf_params: file.kdfParams,
    key_commitment: file.keyCommitment,
    encrypted_size_bytes: file.encryptedSizeBytes ?? 0,
    plaintext_hash: file.plaintextHash,
    encrypted_metadata: file.encryptedMetadata,
    nonce_prefix: file.noncePrefix,
  };
}

/** 32 random bytes, base64url without padding. */
const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class DownloadSessionResponse implements wire.DownloadSessionResponse {
  @ApiProperty({ description: 'Opaque secret bound to this file: exchange it for fresh signed URLs until expires_at, counting nothing. Keep it like the link itself.' })
  session!: string;

  @ApiProperty({ format: 'date-time', description: 'When the session stops working (24 hours after it was started)' })
  expires_at!: string;

  @ApiProperty({ format: 'uri', description: 'Signed GET of the blob; a Range request is answered 206 with that byte range' })
  url!: string;

  @ApiProperty({ format: 'date-time', description: 'When url stops working (DOWNLOAD_URL_TTL_SECONDS, never after the session)' })
  url_expires_at!: string;

  @ApiProperty({ description: 'Size of the blob in bytes' })
  size!: number;
}

export class DownloadSessionUrlRequest implements wire.DownloadSessionUrlRequest {
  @ApiProperty({ description: 'The session token the counted download answered', pattern: SESSION_TOKEN_PATTERN.source })
  @IsString()
  @Matches(SESSION_TOKEN_PATTERN, { message: 'session must be the token a download session answered' })
  session!: string;
}

export class DownloadSessionUrlResponse implements wire.DownloadSessionUrlResponse {
  @ApiProperty({ format: 'uri', description: 'A fresh signed GET of the blob; takes Range requests' })
  url!: string;

  @ApiProperty({ format: 'date-time', description: 'When url stops working' })
  url_expires_at!: string;

  @ApiProperty({ format: 'date-time', description: 'When the session stops working' })
  expires_at!: string;
}
