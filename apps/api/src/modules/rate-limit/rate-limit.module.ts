import { Global, Module } from '@nestjs/common';
import { getStorageToken, ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { PasswordGuessBudget } from './password-guess-budget';
import { RateLimitGuard } from './rate-limit.guard';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * Provides the counters behind `@RateLimit(group)` and the password-guess budget: in Redis when
 * REDIS_URL is set, so every replica spends one budget, else in this process (the in-memory
 * storage of @nestjs/throttler; several processes then each allow the full budget). The stock
 * ThrottlerGuard is never registered: the limits live in RATE_LIMIT_GROUPS and RateLimitGuard
 * applies them. Global, as ThrottlerModule's storage was: any module's routes can use `@RateLimit`.
 */
@Global()
@Module({
  providers: [
    {
      provide: getStorageToken(),
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): ThrottlerStorage =>
        config.redis && config.rateLimitEnabled ? new RedisRateLimitStore(config.redis) : new ThrottlerStorageService(),
    },
    RateLimitGuard,
    PasswordGuessBudget,
  ],
  exports: [getStorageToken(), RateLimitGuard, PasswordGuessBudget],
})
export class RateLimitModule {}
