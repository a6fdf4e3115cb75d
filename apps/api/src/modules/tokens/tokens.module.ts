import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { RefreshTokenRepository } from './refresh-token.repository';
import { RefreshTokenService } from './refresh-token.service';
import { TokenController } from './token.controller';
import { TokenVersionRepository } from './token-version.repository';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM
      // public key on every verify (and fails, building an exception), which cost ~1.4 ms of CPU
      // per authenticated request. The bytes are the same (UTF-8 of the secret), so are the tokens.
      useFactory: (config: AppConfig) => ({ secret: createSecretKey(Buffer.from(config.secrets.jwt, 'utf8')) }),
    }),
  ],
  controllers: [TokenController],
  providers: [AccessTokenService, AccessTokenGuard, TokenVersionRepository, RefreshTokenService, RefreshTokenRepository],
  exports: [AccessTokenService, AccessTokenGuard, TokenVersionRepository, RefreshTokenService],
})
export class TokensModule {}
