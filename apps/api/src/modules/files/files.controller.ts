import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
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

@ApiTags('files')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard)
@Controller('api/files')
export class FilesController {
  constructor(
    private readonly files: FilesService,
    private readonly metrics: Metrics,
  ) {}

  @Post('presign')
  @HttpCode(200)
  @RateLimit('presign')
  @ApiOperation({ summary: 'Start an upload: reserve quota and get a presigned PUT URL' })
  @ApiErrors('presign')
  @ApiOkResponse({ type: PresignResponse, description: 'Quota reserved; PUT the blob to upload_resource.url' })
  presign(@CurrentUser() user: AuthenticatedUser, @Body() body: PresignRequest): Promise<PresignResponse> {
    return this.metrics.counted(
      (result) => this.metrics.presign(result),
      () => this.files.presign(user.id, { fileName: body.file_name, mimeType: body.mime_type, size: body.size ?? undefined }),
    );
  }

  @Post('complete')
  @HttpCode(200)
  @RateLimit('complete')
  @ApiOperation({ summary: 'Verify the uploaded object and record the file; repeating it returns the same answer' })
  @ApiErrors('complete')
  @ApiOkResponse({ type: CompleteResponse, description: 'The file is uploaded (also when it already was)' })
  complete(@CurrentUser() user: AuthenticatedUser, @Body() body: CompleteRequest): Promise<CompleteResponse> {
    return this.metrics.counted(
      (result) => this.metrics.complete(result),
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
        }),
    );
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
