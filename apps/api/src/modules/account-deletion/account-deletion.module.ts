import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { QuotaModule } from '../quota/quota.module';
import { TokensModule } from '../tokens/tokens.module';
import { AccountDeletionController } from './account-deletion.controller';
import { AccountDeletionRepository } from './account-deletion.repository';
import { AccountDeletionService } from './account-deletion.service';
import { DeletedAccountSweepJob } from './deleted-account-sweep.job';

/**
 * `DELETE /api/user`: above auth (the password check), tokens (every session dies first), the
 * object store (the user's prefix) and the quota ledger (the bytes leave the service totals).
 */
@Module({
  imports: [AuthModule, TokensModule, QuotaModule],
  controllers: [AccountDeletionController],
  providers: [AccountDeletionService, AccountDeletionRepository, DeletedAccountSweepJob],
})
export class AccountDeletionModule {}
