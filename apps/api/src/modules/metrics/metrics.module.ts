import { Module } from '@nestjs/common';
import { QuotaModule } from '../quota/quota.module';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

/** `GET /metrics` (Prometheus) and the `Metrics` other modules count into. */
@Module({
  imports: [QuotaModule],
  controllers: [MetricsController],
  providers: [Metrics],
  exports: [Metrics],
})
export class MetricsModule {}
