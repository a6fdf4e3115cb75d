import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { LedgerRepository } from './ledger.repository';
import { QuotaService } from './quota.service';
import { UsageController } from './usage.controller';

/**
 * The upload ledger (per-user and service-wide counters; `LedgerRepository` is their only writer),
 * the configured limits, and `GET /api/user/usage`.
 */
@Module({
  imports: [TokensModule, RateLimitModule],
  controllers: [UsageController],
  providers: [LedgerRepository, QuotaService],
  exports: [LedgerRepository, QuotaService],
})
export class QuotaModule {}
