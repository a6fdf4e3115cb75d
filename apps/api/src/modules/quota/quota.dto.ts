import type * as wire from '@coffer/contract';
import { ApiProperty } from '@nestjs/swagger';
import type { Usage } from './quota.service';

export class UsageResponse implements wire.UsageResponse {
  @ApiProperty({ description: 'Stored bytes of completed files' })
  used_bytes!: number;

  @ApiProperty({ description: 'Bytes held by uploads in progress' })
  reserved_bytes!: number;

  @ApiProperty({ description: 'The per-user quota of stored bytes' })
  quota_bytes!: number;

  @ApiProperty({ description: 'Live files: uploaded and in progress' })
  file_count!: number;

  @ApiProperty({ description: 'The most live files a user may have' })
  max_files!: number;

  @ApiProperty({ description: 'The per-file limit of stored bytes' })
  max_file_size_bytes!: number;
}

export function toUsageResponse(usage: Usage): UsageResponse {
  return {
    used_bytes: usage.usedBytes,
    reserved_bytes: usage.reservedBytes,
    quota_bytes: usage.quotaBytes,
    file_count: usage.fileCount,
    max_files: usage.maxFiles,
    max_file_size_bytes: usage.maxFileSizeBytes,
  };
}
