import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { OtpModule } from '../otp/otp.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { AccountCleanupJob } from './account-cleanup.job';
import { AccountRepository } from './account.repository';
import { AccountService } from './account.service';
import { AuthController } from './auth.controller';
import { PasswordHasher } from './password-hasher';
import { RegistrationService } from './registration.service';

/** Accounts: registration with e-mailed codes, verification, login; the password check for others. */
@Module({
  imports: [OtpModule, TokensModule, MailModule, RateLimitModule],
  controllers: [AuthController],
  providers: [RegistrationService, AccountService, AccountRepository, PasswordHasher, AccountCleanupJob],
  exports: [AccountService],
})
export class AuthModule {}
