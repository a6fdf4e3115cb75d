import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { PasswordGuessBudget } from './password-guess-budget';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Provides the counters behind `@RateLimit(group)` (the in-memory storage of @nestjs/throttler,
 * exported globally by ThrottlerModule, so any module's routes can use the decorator). Counters
 * are per process: several API instances each allow the full budget.
 */
@Module({
  // The limits live in RATE_LIMIT_GROUPS and are applied by RateLimitGuard; the stock guard,
  // which would read throttlers from here, is never registered.
  imports: [ThrottlerModule.forRoot({ throttlers: [] })],
  providers: [RateLimitGuard, PasswordGuessBudget],
  exports: [RateLimitGuard, PasswordGuessBudget],
})
export class RateLimitModule {}
