import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { DownloadCounterRepository } from './download-counter.repository';
import { DownloadSessionRepository } from './download-session.repository';
import { DownloadsController } from './downloads.controller';
import { DownloadsScheduler } from './downloads.scheduler';
import { DownloadsService } from './downloads.service';

/** Public share links: download (counted against a daily limit, directly or as a resumable session) and meta. */
@Module({
  imports: [FilesModule, RateLimitModule],
  controllers: [DownloadsController],
  providers: [DownloadCounterRepository, DownloadSessionRepository, DownloadsService, DownloadsScheduler],
  exports: [DownloadsService],
})
export class DownloadsModule {}
