import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AccessTokenService, invalidToken } from './access-token.service';
import { TokenVersionRepository } from './token-version.repository';

export interface AuthenticatedUser {
  id: string;
}

export type AuthenticatedRequest = Request & { user: AuthenticatedUser };

/**
 * Bearer authentication. Besides the signature it checks the user's token version in the
 * database, so deleting an account or logging out everywhere stops older tokens immediately.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly versions: TokenVersionRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(request.headers.authorization ?? '');
    if (!match) throw invalidToken();
    const claims = this.tokens.verify(match[1]);
    const current = await this.versions.currentVersion(claims.sub);
    if (current === undefined || current !== claims.ver) throw invalidToken();
    request.user = { id: claims.sub };
    return true;
  }
}
