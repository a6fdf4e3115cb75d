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
}
