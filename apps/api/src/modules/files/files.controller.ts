import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AccessTokenGuard, AuthenticatedUser } from '../tokens/access-token.guard';
import { CurrentUser } from '../tokens/current-user.decorator';
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
} from './files.dto';
import { FilesService } from './files.service';

@ApiTags('files')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or revoked access token' })
@UseGuards(AccessTokenGuard)
@Controller('api/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post('presign')
  @HttpCode(200)
  @RateLimit('presign')
  @ApiOperation({ summary: 'Start an upload: reserve quota and get a presigned PUT URL' })
  @ApiOkResponse({ type: PresignResponse })
  @ApiBadRequestResponse({ description: 'Invalid file name, MIME type or size' })
  @ApiForbiddenResponse({ description: 'User quota or file-count limit reached (QUOTA_EXCEEDED, FILE_COUNT_LIMIT)' })
  @ApiPayloadTooLargeResponse({ description: 'Declared size over the per-file or single-PUT limit' })
  @ApiServiceUnavailableResponse({ description: 'The global storage limit is reached (STORAGE_FULL)' })
  presign(@CurrentUser() user: AuthenticatedUser, @Body() body: PresignRequest): Promise<PresignResponse> {
    return this.files.presign(user.id, { fileName: body.file_name, mimeType: body.mime_type, size: body.size ?? undefined });
  }

  @Post('complete')
  @HttpCode(200)
  @RateLimit('complete')
  @ApiOperation({ summary: 'Verify the uploaded object and record the file; repeating it returns the same answer' })
  @ApiOkResponse({ type: CompleteResponse })
  @ApiBadRequestResponse({ description: 'Invalid hash, salt, size, key commitment or KDF parameters' })
  @ApiNotFoundResponse({ description: "Not the caller's pending or uploaded file" })
  @ApiConflictResponse({ description: 'The object is not in storage yet; the file stays pending (UPLOAD_INCOMPLETE)' })
  @ApiPayloadTooLargeResponse({ description: 'Object over the declared size, the per-file limit or the quota; it was deleted and the file failed' })
  complete(@CurrentUser() user: AuthenticatedUser, @Body() body: CompleteRequest): Promise<CompleteResponse> {
    return this.files.complete(user.id, {
      fileId: body.file_id,
      plaintextHash: body.plaintext_hash,
      plaintextSizeBytes: body.plaintext_size_bytes,
      passphraseSalt: body.passphrase_salt,
      keyCommitment: body.key_commitment ?? undefined,
      kdfParams: body.kdf_params ?? undefined,
    });
  }

  @Get('all')
  @RateLimit('files')
  @ApiOperation({ summary: "The caller's files (pending, uploaded and failed), newest first" })
  @ApiOkResponse({ type: FileSummary, isArray: true })
  list(@CurrentUser() user: AuthenticatedUser): Promise<FileSummary[]> {
    return this.files.list(user.id);
  }

  @Get('resolve')
  @RateLimit('files')
  @ApiOperation({ summary: 'Files whose id starts with the given prefix' })
  @ApiOkResponse({ type: ResolvedFile, isArray: true })
  @ApiBadRequestResponse({ description: 'id missing or not 1–36 characters of [0-9a-f-]' })
  @ApiNotFoundResponse({ description: 'No file matches' })
  resolve(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<ResolvedFile[]> {
    return this.files.resolve(user.id, query.id);
  }

  @Get()
  @RateLimit('files')
  @ApiOperation({ summary: 'Details of the files whose id starts with the given prefix' })
  @ApiOkResponse({ type: FileDetails, isArray: true })
  @ApiBadRequestResponse({ description: 'id missing or not 1–36 characters of [0-9a-f-]' })
  @ApiNotFoundResponse({ description: 'No file matches' })
  details(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<FileDetails[]> {
    return this.files.details(user.id, query.id);
  }

  @Get('salt')
  @RateLimit('files')
  @ApiOperation({ summary: 'The passphrase salt of an uploaded passphrase-mode file' })
  @ApiOkResponse({ type: SaltResponse })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiNotFoundResponse({ description: "No such uploaded file of the caller, or a vault-mode file" })
  salt(@CurrentUser() user: AuthenticatedUser, @Query() query: FileIdQuery): Promise<SaltResponse> {
    return this.files.salt(user.id, query.id);
  }

  @Get('hash')
  @RateLimit('files')
  @ApiOperation({ summary: 'The plaintext hash of an uploaded file' })
  @ApiOkResponse({ type: HashResponse })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiNotFoundResponse({ description: 'No such uploaded file of the caller' })
  hash(@CurrentUser() user: AuthenticatedUser, @Query() query: FileIdQuery): Promise<HashResponse> {
    return this.files.hash(user.id, query.id);
  }

  @Delete()
  @HttpCode(204)
  @RateLimit('files')
  @ApiOperation({ summary: 'Delete the one file the id prefix names, and its stored object' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ description: 'id missing or not 1–36 characters of [0-9a-f-]' })
  @ApiNotFoundResponse({ description: 'No file matches' })
  @ApiConflictResponse({ description: 'The prefix matches several files (AMBIGUOUS_ID)' })
  remove(@CurrentUser() user: AuthenticatedUser, @Query() query: IdPrefixQuery): Promise<void> {
    return this.files.remove(user.id, query.id);
  }
}
