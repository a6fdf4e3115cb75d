import { Module } from '@nestjs/common';
import { QuotaRepository } from './quota.repository';
import { QuotaService } from './quota.service';

/** Per-user and service-wide storage accounting; depends only on the database and the config. */
@Module({
  providers: [QuotaRepository, QuotaService],
  exports: [QuotaRepository, QuotaService],
})
export class QuotaModule {}
