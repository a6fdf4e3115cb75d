import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { WebSessionController } from './web-session.controller';
import { WebSessionService } from './web-session.service';

/** The owner web app's session: refresh token in an httpOnly cookie, CSRF-checked (`/api/web/session`). */
@Module({
  imports: [AuthModule, TokensModule, RateLimitModule],
  controllers: [WebSessionController],
  providers: [WebSessionService],
})
export class WebSessionModule {}
