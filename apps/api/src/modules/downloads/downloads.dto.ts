import { ApiProperty } from '@nestjs/swagger';
import type { FileRecord, KdfParams, KeyManagementMode } from '../files/file.repository';
import { KdfParamsDto } from '../files/files.dto';

/** What a recipient holding only the link needs to decrypt and verify the blob. */
export class FileMetaResponse {
  @ApiProperty()
  file_name!: string;

  @ApiProperty({ enum: ['vault', 'passphrase'] })
  key_management_mode!: KeyManagementMode;

  @ApiProperty({ description: 'Standard base64; empty in vault mode' })
  passphrase_salt!: string;

  @ApiProperty({ nullable: true, type: KdfParamsDto })
  kdf_params!: KdfParams | null;

  @ApiProperty({ nullable: true, type: String, description: 'Base64 key commitment, when the uploader sent one' })
  key_commitment!: string | null;

  @ApiProperty()
  encrypted_size_bytes!: number;

  @ApiProperty({ description: 'Lowercase hex SHA-256 of the plaintext, or empty' })
  plaintext_hash!: string;
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
  };
}
