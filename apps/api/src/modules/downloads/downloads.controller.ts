import { Controller, Get, Head, Header, Param, Redirect } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'Whether the link works today; counts nothing' })
  @ApiOkResponse({ description: 'A download would be allowed' })
  @ApiNotFoundResponse({ description: 'No uploaded file with that id and owner hash' })
  @ApiTooManyRequestsResponse({ description: "Today's download limit is used up" })
  checkLink(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<void> {
    return this.downloads.checkLink(userIdHash, fileId);
  }

  @Get('download/:userIdHash/:fileId')
  @Redirect(undefined, 303)
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiOperation({ summary: 'Count one download and redirect to a short-lived signed URL of the ciphertext' })
  @ApiResponse({ status: 303, description: 'Location: a signed GET of the blob' })
  @ApiNotFoundResponse({ description: 'No uploaded file with that id and owner hash' })
  @ApiTooManyRequestsResponse({ description: 'Daily download limit of the file reached (DOWNLOAD_LIMIT); Retry-After says until midnight UTC' })
  async download(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<{ url: string }> {
    return { url: await this.downloads.downloadUrl(userIdHash, fileId) };
  }

  @Get('meta/:userIdHash/:fileId')
  @ApiOperation({ summary: '[ext] What a recipient needs to decrypt and verify; counts nothing' })
  @ApiOkResponse({ type: FileMetaResponse })
  @ApiNotFoundResponse({ description: 'No uploaded file with that id and owner hash' })
  meta(@Param('userIdHash') userIdHash: string, @Param('fileId') fileId: string): Promise<FileMetaResponse> {
    return this.downloads.meta(userIdHash, fileId);
  }
}
