import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { RefreshTokenRepository } from './refresh-token.repository';
import { RefreshTokenService } from './refresh-token.service';
import { TokenVersionRepository } from './token-version.repository';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ secret: config.secrets.jwt }),
    }),
  ],
  providers: [AccessTokenService, AccessTokenGuard, TokenVersionRepository, RefreshTokenService, RefreshTokenRepository],
  exports: [AccessTokenService, AccessTokenGuard, TokenVersionRepository, RefreshTokenService],
})
export class TokensModule {}
