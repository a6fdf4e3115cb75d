import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { everySeconds, ExclusiveJobRunner } from '../../database/exclusive-job';
import { FileMaintenanceService } from './file-maintenance.service';
import { FileReconciliationService } from './file-reconciliation.service';
import { MultipartSweeper } from './multipart-sweeper.service';

/** Runs the file clean-up jobs on a schedule, each on one server instance at a time. */
@Injectable()
export class FilesScheduler {
  constructor(
    private readonly jobs: ExclusiveJobRunner,
    private readonly maintenance: FileMaintenanceService,
    private readonly reconciliation: FileReconciliationService,
    private readonly multipart: MultipartSweeper,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  reconcileStorage(): Promise<boolean> {
    return this.jobs.run('files.reconcile-storage', async () => void (await this.reconciliation.reconcile()), everySeconds(3600));
  }

  @Cron(CronExpression.EVERY_5_MINUTES)
  recheckCompletedSizes(): Promise<boolean> {
    return this.jobs.run('files.recheck-sizes', async () => void (await this.maintenance.recheckCompletedSizes()), everySeconds(300));
  }

  @Cron(CronExpression.EVERY_10_MINUTES)
  abortAbandonedUploads(): Promise<boolean> {
    return this.jobs.run('files.abort-abandoned-uploads', async () => void (await this.multipart.abortAbandoned()), everySeconds(600));
  }

  @Cron(CronExpression.EVERY_5_MINUTES)
  expireStaleUploads(): Promise<boolean> {
    return this.jobs.run('files.expire-stale-uploads', async () => void (await this.maintenance.expireStaleUploads()), everySeconds(300));
  }

  @Cron(CronExpression.EVERY_10_MINUTES)
  retryObjectRemoval(): Promise<boolean> {
    return this.jobs.run('files.retry-object-removal', async () => void (await this.maintenance.retryObjectRemoval()), everySeconds(600));
  }

  @Cron(CronExpression.EVERY_HOUR)
  purgeDeadRows(): Promise<boolean> {
    return this.jobs.run('files.purge-dead-rows', async () => void (await this.maintenance.purgeDeadRows()), everySeconds(3600));
  }

  @Cron(CronExpression.EVERY_HOUR)
  sweepInterruptedUploads(): Promise<boolean> {
    return this.jobs.run('files.sweep-interrupted-uploads', async () => void (await this.maintenance.sweepInterruptedUploads()), everySeconds(3600));
  }
}
