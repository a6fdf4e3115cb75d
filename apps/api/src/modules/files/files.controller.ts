import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { AccessTokenGuard, AuthenticatedUser } from '../tokens/access-token.guard';
import { CurrentUser } from '../tokens/current-user.decorator';
import { Metrics } from '../metrics/metrics';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import {
  CompleteRequest,
  CompleteResponse,
  FileDetails,
  FileIdQuery,
  FileSummary,
  HashResponse,
  IdPrefixQuery,
  PresignRequest,
  PresignResponse,
  ResolvedFile,
  SaltResponse,
  SealedKeyRequest,
} from './files.dto';
import { FilesService } from './files.service';
import { CompleteAccepted, MultipartPresignResponse, PartUrlsRequest, PartUrlsResponse, UploadedPartsResponse } from './multipart.dto';
import { MultipartUploadsService } from './multipart-uploads.service';

/** How soon a client should repeat a complete answered 202. */
const COMPLETING_RETRY_AFTER_SECONDS = 5;

@ApiTags('files')
@ApiBearerAuth()
@ApiExtraModels(PresignResponse, MultipartPresignResponse)
@UseGuards(AccessTokenGuard)
@Controller('api/files')
export class FilesController {
  constructor(
    private readonly files: FilesService,
    private readonly multipart: MultipartUploadsService,
    private readonly metrics: Metrics,
  ) {}

  @Post('presign')
  @HttpCode(200)
  @RateLimit('presign')
  @ApiOperation({ summary: 'Start an upload: reserve quota and get a presigned PUT URL' })
  @ApiErrors('presign')
  @ApiOkResponse({
    description: 'Quota reserved; PUT the blob to upload_resource.url, or (multipart [ext]) get part URLs from POST /api/files/parts',
    schema: { oneOf: [{ $ref: getSchemaPath(PresignResponse) }, { $ref: getSchemaPath(MultipartPresignResponse) }] },
  })
  presign(@CurrentUser() user: AuthenticatedUser, @Body() body: PresignRequest): Promise<PresignResponse | MultipartPresignResponse> {
    return this.metrics.counted(
      (result) => this.metrics.presign(result),
      () =>
        this.files.presign(user.id, {
          fileName: body.file_name,
          mimeType: body.mime_type,
          size: body.size ?? undefined,
          multipart: body.multipart ?? undefined,
        }),
    );
  }

  @Post('complete')
  @HttpCode(200)
  @RateLimit('complete')
  @ApiOperation({ summary: 'Verify the uploaded object and record the file; repeating it returns the same answer' })
  @ApiErrors('complete')
  @ApiOkResponse({ type: CompleteResponse, description: 'The file is uploaded (also when it already was)' })
  @ApiAcceptedResponse({
    type: CompleteAccepted,
    description: '[ext] Multipart: the storage join still runs; repeat the same request (Retry-After) until 200',
    headers: { 'Retry-After': { description: 'Seconds until asking again is useful', schema: { type: 'integer' } } },
  })
  async complete(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CompleteRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CompleteResponse | CompleteAccepted> {
    const result = await this.metrics.counted(
      (outcome) => this.metrics.complete(outcome),
      () =>
        this.files.complete(user.id, {
          fileId: body.file_id,
          plaintextHash: body.plaintext_hash,
          plaintextSizeBytes: body.plaintext_size_bytes,
          passphraseSalt: body.passphrase_salt,
          keyCommitment: body.key_commitment ?? undefined,
          kdfParams: body.kdf_params ?? undefined,
          sealedKey: body.sealed_key ?? undefined,
          encryptedMetadata: body.encrypted_metadata ?? undefined,
          noncePrefix: body.nonce_prefix ?? undefined,
          parts: body.parts?.map((part) => ({ partNumber: part.part_number, etag: part.etag })),
        }),
    );
    if ('status' in result) {
      res.status(202);
      res.setHeader('Retry-After', String(COMPLETING_RETRY_AFTER_SECONDS));
    }
    return result;
  }

  @Post('parts')
  @HttpCode(200)
  @RateLimit('files')
  @ApiOperation({ summary: '[ext] Presigned URLs for parts of a multipart upload (each with its exact length); extends the upload' })
  @ApiErrors('partUrls')
  @ApiOkResponse({ type: PartUrlsResponse, description: 'One URL per part asked for, in the order asked' })
  partUrls(@CurrentUser() user: AuthenticatedUser, @Body() body: PartUrlsRequest): Promise<PartUrlsResponse> {
    return this.multipart.partUrls(user.id, body.file_id, body.part_numbers);
  }

  @Get('parts')
  @RateLimit('files')
  @ApiOperation({ summary: '[ext] The plan of a multipart upload and the parts storage holds (resume)' })
  @ApiErrors('listParts')
  @ApiOkResponse({ type: UploadedPartsResponse, description: 'The plan and the stored parts, ascending' })
  uploadedParts(@CurrentUser() user: AuthenticatedUser, @Query() query: FileIdQuery): Promise<UploadedPartsResponse> {
    return this.multipart.uploadedParts(user.id, query.id);
  }

  @Put('sealed-key')
  @HttpCode(204)
  @RateLimit('complete')
  @ApiOperation({ summary: '[ext] Record the sealed file key of an uploaded file that has none (idempotent; never replaced)' })
  @ApiErrors('putSealedKey')
  @ApiNoContentResponse({ description: 'The file has this sealed key' })
  setSealedKey(@CurrentUser() user: AuthenticatedUser, @Body() body: SealedKeyRequest): Promise<void> {
    return this.files.setSealedKey(user.id, body.file_id, body.sealed_key);
  }

  @Get('all')
  @RateLimit('files')
  @ApiOperation({ summary: "The caller's files (pending, uploaded and failed), newest first" })
  @ApiErrors('listFiles')
  @ApiOkResponse({ type: FileSummary, isArray: true, description: 'The caller\'s files, newest first (maybe empty)' })
  list(@CurrentUser() user: AuthenticatedUser): Promise<FileSummary[]> {
    return this.files.list(user.id);
  }

  @Get('resolve')
  @RateLimit('files')
  @ApiOperation({ summary: 'Files whose id starts with the given prefix' })
  @ApiErrors('resolve')
  @ApiOkResponse({ type: ResolvedFile, isArray: true, description: 'The matching files' })
  resolve(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<ResolvedFile[]> {
    return this.files.resolve(user.id, query.id);
  }

  @Get()
  @RateLimit('files')
  @ApiOperation({ summary: 'Details of the files whose id starts with the given prefix' })
  @ApiErrors('details')
  @ApiOkResponse({ type: FileDetails, isArray: true, description: 'Details of the matching files' })
  details(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<FileDetails[]> {
    return this.files.details(user.id, query.id);
  }

  @Get('salt')
  @RateLimit('files')
  @ApiOperation({ summary: 'The passphrase salt of an uploaded passphrase-mode file' })
  @ApiErrors('salt')
  @ApiOkResponse({ type: SaltResponse, description: 'The passphrase salt' })
  salt(@CurrentUser() user: AuthenticatedUser, @Query() query: FileIdQuery): Promise<SaltResponse> {
    return this.files.salt(user.id, query.id);
  }

  @Get('hash')
  @RateLimit('files')
  @ApiOperation({ summary: 'The plaintext hash of an uploaded file' })
  @ApiErrors('hash')
  @ApiOkResponse({ type: HashResponse, description: 'The plaintext hash' })
  hash(@CurrentUser() user: AuthenticatedUser, @Query() query: FileIdQuery): Promise<HashResponse> {
    return this.files.hash(user.id, query.id);
  }

  @Delete()
  @HttpCode(204)
  @RateLimit('files')
  @ApiOperation({ summary: 'Delete the one file the id prefix names, and its stored object' })
  @ApiErrors('deleteFile')
  @ApiNoContentResponse({ description: 'Deleted' })
  remove(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<void> {
    return this.files.remove(user.id, query.id);
  }
}
