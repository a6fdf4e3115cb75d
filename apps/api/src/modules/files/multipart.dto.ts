import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_MULTIPART_PARTS, MAX_PART_URLS_PER_REQUEST } from '@coffer/contract';
import type * as wire from '@coffer/contract';
import { FILE_ID_PATTERN } from './file-id';

/** An etag as storage answers it: printable ASCII without spaces (S3: a quoted hex string). */
const ETAG_PATTERN = /^[!-~]{1,256}$/;

// ---- requests ----

export class CompletedPartRefDto implements wire.CompletedPartRef {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_MULTIPART_PARTS, description: 'The part number' })
  @IsInt({ message: 'part_number must be a whole number' })
  @Min(1)
  @Max(MAX_MULTIPART_PARTS)
  part_number!: number;

  @ApiProperty({ description: "The ETag header the part's PUT answered", example: '"9b2cf535f27731c974343645a3985328"' })
  @IsString()
  @Matches(ETAG_PATTERN, { message: 'etag must be 1–256 printable ASCII characters without spaces' })
  etag!: string;
}

export class PartUrlsRequest implements wire.PartUrlsRequest {
  @ApiProperty({ format: 'uuid', description: 'A pending multipart file of the caller' })
  @IsString()
  @Matches(FILE_ID_PATTERN, { message: 'file_id must be a lowercase UUID' })
  file_id!: string;

  @ApiProperty({ type: 'integer', isArray: true, description: `1–${MAX_PART_URLS_PER_REQUEST} distinct part numbers of the plan`, example: [1, 2, 3] })
  @IsArray({ message: 'part_numbers must be an array' })
  @ArrayMinSize(1, { message: 'part_numbers names at least one part' })
  @ArrayMaxSize(MAX_PART_URLS_PER_REQUEST, { message: `part_numbers names at most ${MAX_PART_URLS_PER_REQUEST} parts` })
  @ArrayUnique({ message: 'part_numbers must not repeat a part' })
  @IsInt({ each: true, message: 'part_numbers must be whole numbers' })
  @Min(1, { each: true, message: 'part numbers start at 1' })
  @Max(MAX_MULTIPART_PARTS, { each: true, message: `part numbers end at ${MAX_MULTIPART_PARTS}` })
  part_numbers!: number[];
}

// ---- responses ----

export class MultipartPlanDto implements wire.MultipartPlan {
  @ApiProperty({ description: 'Bytes of every part but the last: a whole number of 65,568-byte encrypted frames', example: 8392704 })
  part_size!: number;

  @ApiProperty({ description: 'Number of parts (at most 10,000)', example: 13 })
  part_count!: number;

  @ApiProperty({ description: 'Bytes of the last part', example: 1048608 })
  last_part_size!: number;

  @ApiProperty({ description: 'When the upload is abandoned unless POST /api/files/parts extends it (RFC 3339 UTC)', example: '2026-01-01T00:15:00Z' })
  expires_at!: string;
}

export class MultipartPresignResponse implements wire.MultipartPresignResponse {
  @ApiProperty({ format: 'uuid', description: 'The id of the new (pending) file' })
  file_id!: string;

  @ApiProperty({ type: MultipartPlanDto, description: 'How the upload is cut' })
  multipart!: MultipartPlanDto;
}

export class PartUrlDto implements wire.PartUrl {
  @ApiProperty({ description: 'The part number' })
  part_number!: number;

  @ApiProperty({ description: 'Presigned URL taking one PUT of exactly `size` bytes; its answer carries the ETag' })
  url!: string;

  @ApiProperty({ enum: ['PUT'], description: 'Always PUT' })
  method!: 'PUT';

  @ApiProperty({ description: 'Headers the PUT must carry', example: { 'Content-Type': 'application/octet-stream' } })
  headers!: Record<string, string>;

  @ApiProperty({ description: 'The exact length of the part in bytes' })
  size!: number;

  @ApiProperty({ description: 'When the URL stops working (RFC 3339 UTC)', example: '2026-01-01T00:15:00Z' })
  expires_at!: string;
}

export class PartUrlsResponse implements wire.PartUrlsResponse {
  @ApiProperty({ type: PartUrlDto, isArray: true, description: 'One URL per part asked for, in the order asked' })
  parts!: PartUrlDto[];

  @ApiProperty({ description: "The upload's new expiry (RFC 3339 UTC)", example: '2026-01-01T00:15:00Z' })
  expires_at!: string;
}

export class StoredPartDto implements wire.StoredPart {
  @ApiProperty({ description: 'The part number' })
  part_number!: number;

  @ApiProperty({ description: 'Bytes storage holds for the part' })
  size!: number;

  @ApiProperty({ description: 'The etag storage reports (S3: a quoted hex string)' })
  etag!: string;
}

export class UploadedPartsResponse extends MultipartPlanDto implements wire.UploadedPartsResponse {
  @ApiProperty({ format: 'uuid', description: 'The file id' })
  file_id!: string;

  @ApiProperty({ enum: ['uploading', 'completing'], description: 'completing: a completion runs; repeat complete' })
  state!: 'uploading' | 'completing';

  @ApiProperty({ type: StoredPartDto, isArray: true, description: 'The parts storage holds, ascending ([] while completing)' })
  parts!: StoredPartDto[];
}

export class CompleteAccepted implements wire.CompleteAccepted {
  @ApiProperty({ format: 'uuid', description: 'The file id' })
  file_id!: string;

  @ApiProperty({ enum: ['completing'], description: 'The storage join still runs: repeat the same complete until 200' })
  status!: 'completing';
}
