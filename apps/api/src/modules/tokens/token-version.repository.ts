import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';

@Injectable()
export class TokenVersionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The user's current token version, or undefined when the account no longer exists. */
  async currentVersion(userId: string): Promise<number | undefined> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { tokenVersion: true, verifiedAt: true } });
    return user?.verifiedAt ? user.tokenVersion : undefined;
  }

  /**
   * The user's current token version if the login (refresh-token family) is theirs and still
   * live — not revoked, not past its absolute expiry, not deleted — and the account is verified;
   * otherwise undefined. One indexed lookup, made on every authenticated request.
   */
  async liveSessionVersion(userId: string, familyId: string, now: Date): Promise<number | undefined> {
    const family = await this.prisma.refreshTokenFamily.findUnique({
      where: { id: familyId },
      select: { userId: true, revokedAt: true, expiresAt: true, user: { select: { tokenVersion: true, verifiedAt: true } } },
    });
    if (!family || family.userId !== userId || family.revokedAt || family.expiresAt <= now || !family.user.verifiedAt) return undefined;
    return family.user.tokenVersion;
  }
}
