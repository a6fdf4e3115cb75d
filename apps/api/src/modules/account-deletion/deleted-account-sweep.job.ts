import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { everySeconds, ExclusiveJobRunner } from '../../database/exclusive-job';
import { AccountDeletionService } from './account-deletion.service';

/** Deletes objects that landed under a deleted account's prefix after the deletion. */
@Injectable()
export class DeletedAccountSweepJob {
  private readonly logger = new Logger(DeletedAccountSweepJob.name);

  constructor(
    private readonly deletion: AccountDeletionService,
    private readonly runner: ExclusiveJobRunner,
  ) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'deleted-account-sweep' })
  async scheduled(): Promise<void> {
    await this.runner.run('deleted-account-sweep', async () => void (await this.run()), everySeconds(600));
  }

  /** One pass; returns how many prefixes were swept (and forgotten). */
  async run(): Promise<number> {
    const swept = await this.deletion.sweepDeletedAccounts();
    if (swept > 0) this.logger.log(`swept the storage of ${swept} deleted accounts`);
    return swept;
  }
}
