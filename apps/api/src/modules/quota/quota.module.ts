import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { QuotaRepository } from './quota.repository';
import { QuotaService } from './quota.service';
import { UsageController } from './usage.controller';

/** Per-user and service-wide storage accounting, and `GET /api/user/usage`. */
@Module({
  imports: [TokensModule, RateLimitModule],
  controllers: [UsageController],
  providers: [QuotaRepository, QuotaService],
  exports: [QuotaRepository, QuotaService],
})
export class QuotaModule {}
