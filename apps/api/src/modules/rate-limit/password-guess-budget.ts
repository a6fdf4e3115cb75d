import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ACCOUNT_PASSWORD_BUDGET } from './rate-limit.groups';

/**
 * The per-account side of the password-guess budget (the per-client side is the `login` group):
 * every password check against an e-mail address, from any client and any route, spends one of
 * ACCOUNT_PASSWORD_BUDGET. Counted in the same storage as the route limits (Redis when REDIS_URL is set).
 */
@Injectable()
export class PasswordGuessBudget {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Spends one guess against `email`; RATE_LIMITED (429, Retry-After) when none is left. */
  async spend(email: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const { limit, windowSeconds } = ACCOUNT_PASSWORD_BUDGET;
    const windowMs = windowSeconds * 1000;
    const record = await this.storage.increment(`password-account:${email}`, windowMs, limit, windowMs, 'password-account');
    if (record.isBlocked) {
      const seconds = Math.max(1, record.timeToBlockExpire);
      throw new DomainError('RATE_LIMITED', `Too many password attempts for this account; retry in ${seconds} seconds`, seconds);
    }
  }
}
