import { Module } from '@nestjs/common';
import { OtpRepository } from './otp.repository';
import { OtpService } from './otp.service';

/**
 * E-mailed one-time codes. `OtpRepository` is exported for the auth module's transactions, which
 * store a code together with the registration it belongs to.
 */
@Module({
  providers: [OtpService, OtpRepository],
  exports: [OtpService, OtpRepository],
})
export class OtpModule {}
