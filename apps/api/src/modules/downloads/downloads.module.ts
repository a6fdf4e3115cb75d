import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { DownloadCounterRepository } from './download-counter.repository';
import { DownloadsController } from './downloads.controller';
import { DownloadsScheduler } from './downloads.scheduler';
import { DownloadsService } from './downloads.service';

/** Public share links: download (counted against a daily limit) and meta. */
@Module({
  imports: [FilesModule, RateLimitModule],
  controllers: [DownloadsController],
  providers: [DownloadCounterRepository, DownloadsService, DownloadsScheduler],
  exports: [DownloadsService],
})
export class DownloadsModule {}
