import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';

export const ACCESS_TOKEN_ISSUER = 'coffer';

/** What an access token proves: who, which generation of that user's tokens, and which login. */
export interface AccessTokenClaims {
  sub: string;
  /** The user's token version when issued; bumping it revokes every older token at once. */
  ver: number;
  /** The login (refresh-token family) it was issued for; revoking the family ends the token. */
  sid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issue(user: { id: string; tokenVersion: number }, sessionId: string): string {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    return this.jwt.sign(
      { sub: user.id, ver: user.tokenVersion, sid: sessionId, iat, exp: iat + this.config.ttl.accessTokenSeconds },
      { algorithm: 'HS256', issuer: ACCESS_TOKEN_ISSUER },
    );
  }

  /**
   * Signature, algorithm, issuer, expiry and the shape of the claims; any failure is the same
   * 401. A token without `sid` (issued before logins were named) is refused: the client's
   * refresh token gets it a new one.
   */
  verify(token: string): AccessTokenClaims {
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify(token, {
        algorithms: ['HS256'],
        issuer: ACCESS_TOKEN_ISSUER,
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      });
    } catch {
      throw invalidToken();
    }
    // jsonwebtoken accepts a token without `exp` as never expiring; every token issued here has one.
    if (typeof payload.exp !== 'number') throw invalidToken();
    const { sub, ver, sid } = payload;
    if (!isUuid(sub) || !isUuid(sid) || typeof ver !== 'number' || !Number.isInteger(ver)) throw invalidToken();
    return { sub, ver, sid };
  }
}

export function invalidToken(): DomainError {
  return new DomainError('INVALID_TOKEN', 'Missing, invalid or expired access token');
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
