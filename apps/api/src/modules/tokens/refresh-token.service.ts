import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccessTokenService } from './access-token.service';
import { RefreshTokenRecord, RefreshTokenRepository } from './refresh-token.repository';

/** A refresh token unused for this long dies, even inside the absolute lifetime of its login. */
export const REFRESH_IDLE_SECONDS = 14 * 24 * 3600;

/**
 * How long a rotated-away token keeps working, for a client whose rotation response was lost.
 * Presenting it later is treated as theft: the whole family is revoked.
 */
export const ROTATION_OVERLAP_SECONDS = 10;

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

export interface RefreshResult {
  accessToken: string;
  /** Only when rotation was asked for. */
  refreshToken?: string;
}

/**
 * Refresh tokens: 32 random bytes (base64url) handed to the client, stored only as
 * HMAC-SHA256(REFRESH_TOKEN_SECRET, token). One family per login with an absolute lifetime
 * (REFRESH_TOKEN_TTL_SECONDS) and a sliding idle lifetime (REFRESH_IDLE_SECONDS, capped by the
 * absolute one). A client that never rotates keeps using its one token.
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    private readonly tokens: RefreshTokenRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts a new family (a login): its first refresh token and an access token naming it. */
  async startSession(user: { id: string; tokenVersion: number }): Promise<SessionTokens> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.ttl.refreshTokenSeconds * 1000);
    const refreshToken = newToken();
    const familyId = await this.tokens.createFamily({
      userId: user.id,
      expiresAt,
      tokenHash: this.hash(refreshToken),
      idleExpiresAt: idleExpiry(now, expiresAt),
      now,
    });
    return { accessToken: this.accessTokens.issue(user, familyId), refreshToken };
  }

  /**
   * A fresh access token for a live refresh token; with `rotate`, also a new refresh token that
   * replaces the presented one. A token rotated away more than ROTATION_OVERLAP_SECONDS ago
   * revokes its family. Every refusal is the same INVALID_TOKEN.
   */
  async refresh(token: string, rotate: boolean): Promise<RefreshResult> {
    const now = this.clock.now();
    const record = await this.tokens.findByHash(this.hash(token));
    if (!record || !isLive(record, now)) throw invalidRefreshToken();
    const rotatedNotBefore = new Date(now.getTime() - ROTATION_OVERLAP_SECONDS * 1000);
    if (record.rotatedAt && record.rotatedAt < rotatedNotBefore) {
      await this.tokens.revokeFamily(record.familyId, now);
      throw invalidRefreshToken();
    }
    const accessToken = this.accessTokens.issue(record.user, record.familyId);
    if (!rotate) {
      if (!record.rotatedAt) await this.tokens.touch(record.id, now, idleExpiry(now, record.family.expiresAt));
      return { accessToken };
    }
    const refreshToken = newToken();
    const rotated = await this.tokens.rotate({
      familyId: record.familyId,
      presentedTokenId: record.id,
      rotatedNotBefore,
      newTokenHash: this.hash(refreshToken),
      idleExpiresAt: idleExpiry(now, record.family.expiresAt),
      now,
    });
    if (!rotated) throw invalidRefreshToken();
    return { accessToken, refreshToken };
  }

  /** Ends the login the token belongs to (its whole family); unknown tokens are ignored. */
  async revoke(token: string): Promise<void> {
    const familyId = await this.tokens.familyOf(this.hash(token));
    if (familyId) await this.tokens.revokeFamily(familyId, this.clock.now());
  }

  /** Kills every access and refresh token of the user at once. */
  async revokeAllForUser(userId: string): Promise<void> {
    await this.tokens.revokeAllForUser(userId, this.clock.now());
  }

  async deleteDead(): Promise<number> {
    return this.tokens.deleteDead(this.clock.now());
  }

  private hash(token: string): string {
    return createHmac('sha256', this.config.secrets.refreshToken).update(token).digest('hex');
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function idleExpiry(now: Date, familyExpiresAt: Date): Date {
  return new Date(Math.min(now.getTime() + REFRESH_IDLE_SECONDS * 1000, familyExpiresAt.getTime()));
}

function isLive(record: RefreshTokenRecord, now: Date): boolean {
  return (
    record.user.verified &&
    !record.family.revokedAt &&
    record.family.expiresAt > now &&
    !record.revokedAt &&
    record.idleExpiresAt > now
  );
}

export function invalidRefreshToken(): DomainError {
  return new DomainError('INVALID_TOKEN', 'Invalid, expired or revoked refresh token');
}
