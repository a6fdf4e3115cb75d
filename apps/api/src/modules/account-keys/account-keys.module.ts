import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { AccountKeysController } from './account-keys.controller';
import { AccountKeysRepository } from './account-keys.repository';
import { AccountKeysService } from './account-keys.service';

/** The account key pair (`/api/keys`): public key and client-wrapped private key, owner only. */
@Module({
  imports: [TokensModule, RateLimitModule],
  controllers: [AccountKeysController],
  providers: [AccountKeysRepository, AccountKeysService],
})
export class AccountKeysModule {}
