import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { TokenVersionRepository } from './token-version.repository';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ secret: config.secrets.jwt }),
    }),
  ],
  providers: [AccessTokenService, AccessTokenGuard, TokenVersionRepository],
  exports: [AccessTokenService, AccessTokenGuard, TokenVersionRepository],
})
export class TokensModule {}
