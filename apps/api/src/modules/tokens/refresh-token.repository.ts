import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';

/** A refresh token as found by its hash, with what deciding about it needs. */
export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  idleExpiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  family: { expiresAt: Date; revokedAt: Date | null };
  user: { id: string; tokenVersion: number; verified: boolean };
}

export interface NewFamily {
  userId: string;
  expiresAt: Date;
  tokenHash: string;
  idleExpiresAt: Date;
  now: Date;
}

export interface Rotation {
  familyId: string;
  presentedTokenId: string;
  /** The presented token may have been rotated away, but not before this instant. */
  rotatedNotBefore: Date;
  newTokenHash: string;
  idleExpiresAt: Date;
  now: Date;
}

@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The new family's id. */
  async createFamily(family: NewFamily): Promise<string> {
    const created = await this.prisma.refreshTokenFamily.create({
      data: {
        userId: family.userId,
        expiresAt: family.expiresAt,
        createdAt: family.now,
        tokens: { create: { tokenHash: family.tokenHash, idleExpiresAt: family.idleExpiresAt, createdAt: family.now } },
      },
      select: { id: true },
    });
    return created.id;
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const token = await this.prisma.refreshToken.findUnique({
      where: { tokenHash },
      select: {
        id: true,
        familyId: true,
        idleExpiresAt: true,
        rotatedAt: true,
        revokedAt: true,
        family: { select: { expiresAt: true, revokedAt: true, user: { select: { id: true, tokenVersion: true, verifiedAt: true } } } },
      },
    });
    if (!token) return undefined;
    const { family, ...rest } = token;
    return {
      ...rest,
      family: { expiresAt: family.expiresAt, revokedAt: family.revokedAt },
      user: { id: family.user.id, tokenVersion: family.user.tokenVersion, verified: family.user.verifiedAt !== null },
    };
  }

  /** Records a use of the family's current token and pushes its idle expiry forward. */
  async touch(tokenId: string, now: Date, idleExpiresAt: Date): Promise<void> {
    await this.prisma.refreshToken.updateMany({
      where: { id: tokenId, rotatedAt: null, revokedAt: null },
      data: { lastUsedAt: now, idleExpiresAt },
    });
  }

  /**
   * Under a lock on the family: if the family is live and the presented token is current or
   * was rotated away no earlier than `rotatedNotBefore`, marks the family's current token as
   * rotated and stores the new one, which becomes current. A family therefore never has more
   * than one current token. False when the state changed in between (revoked, expired, reused).
   */
  async rotate(rotation: Rotation): Promise<boolean> {
    const { familyId, presentedTokenId, rotatedNotBefore, newTokenHash, idleExpiresAt, now } = rotation;
    return this.prisma.$transaction(async (tx) => {
      const [family] = await tx.$queryRaw<{ expires_at: Date; revoked_at: Date | null }[]>`
        SELECT expires_at, revoked_at FROM refresh_token_families WHERE id = CAST(${familyId} AS uuid) FOR UPDATE`;
      if (!family || family.revoked_at || family.expires_at <= now) return false;
      const presented = await tx.refreshToken.findFirst({
        where: { id: presentedTokenId, familyId },
        select: { rotatedAt: true, revokedAt: true, idleExpiresAt: true },
      });
      if (!presented || presented.revokedAt || presented.idleExpiresAt <= now) return false;
      if (presented.rotatedAt && presented.rotatedAt < rotatedNotBefore) return false;
      await tx.refreshToken.update({ where: { id: presentedTokenId }, data: { lastUsedAt: now } });
      await tx.refreshToken.updateMany({ where: { familyId, rotatedAt: null, revokedAt: null }, data: { rotatedAt: now } });
      await tx.refreshToken.create({ data: { familyId, tokenHash: newTokenHash, idleExpiresAt, createdAt: now } });
      return true;
    });
  }

  /** Revokes a family and every token in it. */
  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.refreshTokenFamily.updateMany({ where: { id: familyId, revokedAt: null }, data: { revokedAt: now } }),
      this.prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } }),
    ]);
  }

  /** The family id of a token, if the token exists. */
  async familyOf(tokenHash: string): Promise<string | undefined> {
    const token = await this.prisma.refreshToken.findUnique({ where: { tokenHash }, select: { familyId: true } });
    return token?.familyId;
  }

  /**
   * Ends every session of the user at once: bumping the token version kills every access token
   * issued so far (the guard compares it), and every refresh-token family is revoked.
   */
  async revokeAllForUser(userId: string, now: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.user.updateMany({ where: { id: userId }, data: { tokenVersion: { increment: 1 }, updatedAt: now } }),
      this.prisma.refreshTokenFamily.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } }),
      this.prisma.refreshToken.updateMany({ where: { family: { userId }, revokedAt: null }, data: { revokedAt: now } }),
    ]);
  }

  /**
   * Deletes families (with their tokens) that can no longer produce an access token: past
   * their absolute expiry, revoked, or whose every token is past its idle expiry.
   */
  async deleteDead(now: Date): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM refresh_token_families f
      WHERE f.expires_at <= ${now}
         OR f.revoked_at IS NOT NULL
         OR NOT EXISTS (
           SELECT 1 FROM refresh_tokens t
           WHERE t.family_id = f.id AND t.revoked_at IS NULL AND t.idle_expires_at > ${now}
         )`;
  }
}
