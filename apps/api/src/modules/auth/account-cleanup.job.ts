import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../common/clock';
import { everySeconds, ExclusiveJobRunner } from '../../database/exclusive-job';
import { OtpService } from '../otp/otp.service';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { AccountRepository } from './account.repository';

/** Registrations not verified within this time are deleted (the e-mail becomes free again). */
export const UNVERIFIED_ACCOUNT_LIFETIME_SECONDS = 24 * 3600;

export interface CleanupReport {
  expiredCodes: number;
  deadTokenFamilies: number;
  unverifiedAccounts: number;
}

/**
 * Removes what can no longer be used: expired codes, dead refresh-token families, stale sign-ups.
 * (Objects that land under a deleted account's prefix are the account-deletion module's.)
 */
@Injectable()
export class AccountCleanupJob {
  private readonly logger = new Logger(AccountCleanupJob.name);

  constructor(
    private readonly otp: OtpService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly accounts: AccountRepository,
    private readonly runner: ExclusiveJobRunner,
    private readonly clock: Clock,
  ) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'account-cleanup' })
  async scheduled(): Promise<void> {
    await this.runner.run('account-cleanup', async () => void (await this.run()), everySeconds(600));
  }

  /** One pass; each step is a single idempotent DELETE, so overlapping runs do no harm. */
  async run(): Promise<CleanupReport> {
    const staleBefore = new Date(this.clock.now().getTime() - UNVERIFIED_ACCOUNT_LIFETIME_SECONDS * 1000);
    const report: CleanupReport = {
      expiredCodes: await this.otp.deleteExpired(),
      deadTokenFamilies: await this.refreshTokens.deleteDead(),
      unverifiedAccounts: await this.accounts.deleteUnverifiedCreatedBefore(staleBefore),
    };
    if (Object.values(report).some((n) => n > 0)) {
      this.logger.log(
        `deleted ${report.expiredCodes} expired codes, ${report.deadTokenFamilies} dead sessions, ${report.unverifiedAccounts} unverified accounts`,
      );
    }
    return report;
  }
}
