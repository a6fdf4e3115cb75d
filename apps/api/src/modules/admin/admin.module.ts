import { Module } from '@nestjs/common';
import { QuotaModule } from '../quota/quota.module';
import { AdminController } from './admin.controller';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';

/** Development tooling: `DELETE /admin/reset`. Needs the database, the object store and the ledger's seed row. */
@Module({
  imports: [QuotaModule],
  controllers: [AdminController],
  providers: [AdminRepository, AdminService],
})
export class AdminModule {}
