import { Controller, Get, Head, Header, Param, Redirect } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { FileMetaResponse } from './downloads.dto';
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

  @Get('meta/:userIdHash/:fileId')
  @ApiOperation({ summary: '[ext] What a recipient needs to decrypt and verify; counts nothing' })
  @ApiErrors('meta')
  @ApiOkResponse({ type: FileMetaResponse, description: 'Salt, KDF parameters, key commitment, size and plaintext hash of the file' })
  meta(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<FileMetaResponse> {
    return this.downloads.meta(userIdHash, fileId);
  }
}
