import { Body, Controller, Get, Head, Header, HttpCode, Param, Post, Redirect } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { DownloadSessionResponse, DownloadSessionUrlRequest, DownloadSessionUrlResponse, FileMetaResponse } from './downloads.dto';
import { DownloadsService } from './downloads.service';

/** The public share links; no bearer token: the link is the capability. */
@ApiTags('downloads')
@RateLimit('download')
@Controller('files')
export class DownloadsController {
  constructor(private readonly downloads: DownloadsService) {}

  // Declared before the GET route on purpose: Express answers HEAD with the first matching GET
  // route unless a HEAD route comes first, and a HEAD must never count or hand out a URL.
  @Head('download/:userIdHash/:fileId')
  @ApiOperation({ summary: '[ext] Whether the link works today; counts nothing (a HEAD answer has no body: the status says it)' })
  @ApiErrors('checkLink')
  @ApiOkResponse({ description: 'A download would be allowed' })
  checkLink(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<void> {
    return this.downloads.checkLink(userIdHash, fileId);
  }

  @Get('download/:userIdHash/:fileId')
  @Redirect(undefined, 303)
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiOperation({ summary: 'Count one download and redirect to a short-lived signed URL of the ciphertext' })
  @ApiErrors('download')
  @ApiResponse({
    status: 303,
    description: 'One download counted; Location is a short-lived signed GET of the blob (following it yields 200 and the ciphertext)',
    headers: { Location: { description: 'Signed URL of the blob', schema: { type: 'string', format: 'uri' } } },
  })
  async download(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<{ url: string }> {
    return { url: await this.downloads.downloadUrl(userIdHash, fileId) };
  }

  @Post('download/:userIdHash/:fileId/session')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiOperation({ summary: '[ext] Count one download and open a session: fetch the blob in any number of ranged requests and resume later, counting nothing more' })
  @ApiErrors('downloadSession')
  @ApiCreatedResponse({ type: DownloadSessionResponse, description: 'One download counted; the session token, a signed URL and their expiry' })
  startSession(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<DownloadSessionResponse> {
    return this.downloads.startSession(userIdHash, fileId);
  }

  @Post('download/:userIdHash/:fileId/session/url')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiOperation({ summary: '[ext] A fresh signed URL for an open download session of this file; counts nothing' })
  @ApiErrors('downloadSessionUrl')
  @ApiOkResponse({ type: DownloadSessionUrlResponse, description: 'A fresh signed URL of the blob' })
  sessionUrl(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string, @Body() body: DownloadSessionUrlRequest): Promise<DownloadSessionUrlResponse> {
    return this.downloads.sessionUrl(userIdHash, fileId, body.session);
  }

  @Get('meta/:userIdHash/:fileId')
  @ApiOperation({ summary: '[ext] What a recipient needs to decrypt and verify; counts nothing' })
  @ApiErrors('meta')
  @ApiOkResponse({ type: FileMetaResponse, description: 'Salt, KDF parameters, key commitment, size and plaintext hash of the file' })
  meta(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<FileMetaResponse> {
    return this.downloads.meta(userIdHash, fileId);
  }
}
