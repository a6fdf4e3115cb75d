import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { everySeconds, ExclusiveJobRunner } from '../../database/exclusive-job';
import { DownloadsService } from './downloads.service';

@Injectable()
export class DownloadsScheduler {
  constructor(
    private readonly jobs: ExclusiveJobRunner,
    private readonly downloads: DownloadsService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  pruneCounters(): Promise<boolean> {
    return this.jobs.run('downloads.prune-counters', async () => void (await this.downloads.pruneCounters()), everySeconds(3600));
  }

  @Cron(CronExpression.EVERY_HOUR)
  pruneSessions(): Promise<boolean> {
    return this.jobs.run('downloads.prune-sessions', async () => void (await this.downloads.pruneSessions()), everySeconds(3600));
  }
}
