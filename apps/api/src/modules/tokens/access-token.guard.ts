import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Clock } from '../../common/clock';
import { AccessTokenService, invalidToken } from './access-token.service';
import { TokenVersionRepository } from './token-version.repository';

export interface AuthenticatedUser {
  id: string;
}

export type AuthenticatedRequest = Request & { user: AuthenticatedUser };

/**
 * Bearer authentication. Besides the signature it checks, in the database on every request, the
 * login the token names (`sid`) and the user's token version, so logging out, a refresh-token
 * reuse that revokes the login, and deleting the account stop its access tokens immediately
 * (no cache).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly versions: TokenVersionRepository,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(request.headers.authorization ?? '');
    if (!match) throw invalidToken();
    const claims = this.tokens.verify(match[1]);
    const current = await this.versions.liveSessionVersion(claims.sub, claims.sid, this.clock.now());
    if (current === undefined || current !== claims.ver) throw invalidToken();
    request.user = { id: claims.sub };
    return true;
  }
}
