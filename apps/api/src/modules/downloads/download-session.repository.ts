import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';

export interface DownloadSessionRecord {
  fileId: string;
  expiresAt: Date;
}

/** Download sessions, found by the SHA-256 of their token (the token is never stored). */
@Injectable()
export class DownloadSessionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(tokenHash: Buffer, fileId: string, expiresAt: Date): Promise<void> {
    await this.prisma.downloadSession.create({ data: { tokenHash: new Uint8Array(tokenHash), fileId, expiresAt } });
  }

  findByTokenHash(tokenHash: Buffer): Promise<DownloadSessionRecord | null> {
    return this.prisma.downloadSession.findUnique({ where: { tokenHash: new Uint8Array(tokenHash) }, select: { fileId: true, expiresAt: true } });
  }

  /** Drops sessions that expired before `now`; returns how many. */
  async pruneExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.downloadSession.deleteMany({ where: { expiresAt: { lt: now } } });
    return count;
  }
}
