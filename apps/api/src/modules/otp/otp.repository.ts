import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

/** A code as stored: only its keyed hash, never the digits. */
export interface StoredOtpCode {
  id: string;
  codeHash: string;
  attempts: number;
  expiresAt: Date;
  createdAt: Date;
}

export interface NewOtpCode {
  userId: string;
  codeHash: string;
  expiresAt: Date;
  createdAt: Date;
}

/** The client a statement runs on: the pool, or the transaction of a caller's repository. */
export type Db = PrismaClient | Prisma.TransactionClient;

@Injectable()
export class OtpRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Voids every code of the user and stores the new one (a user has at most one code); its id. */
  async replace(code: NewOtpCode, db: Db = this.prisma): Promise<string> {
    await db.otpCode.deleteMany({ where: { userId: code.userId } });
    return (await db.otpCode.create({ data: code, select: { id: true } })).id;
  }

  /** Every code of the user as stored, to be put back by `restore`. */
  async allOf(userId: string, db: Db = this.prisma): Promise<StoredOtpCode[]> {
    return db.otpCode.findMany({ where: { userId }, select: { id: true, codeHash: true, attempts: true, expiresAt: true, createdAt: true } });
  }

  /** Puts back exactly `codes` (same ids, attempts and times) as the user's codes. */
  async restore(userId: string, codes: StoredOtpCode[], db: Db = this.prisma): Promise<void> {
    await db.otpCode.deleteMany({ where: { userId } });
    if (codes.length > 0) await db.otpCode.createMany({ data: codes.map((c) => ({ ...c, userId })) });
  }

  async exists(userId: string, codeId: string, db: Db = this.prisma): Promise<boolean> {
    return (await db.otpCode.count({ where: { id: codeId, userId } })) === 1;
  }

  async findCurrent(userId: string): Promise<StoredOtpCode | undefined> {
    const code = await this.prisma.otpCode.findFirst({
      where: { userId },
      orderBy: { createdAt: 'desc' },
      select: { id: true, codeHash: true, attempts: true, expiresAt: true, createdAt: true },
    });
    return code ?? undefined;
  }

  async lastIssuedAt(userId: string, db: Db = this.prisma): Promise<Date | undefined> {
    const code = await db.otpCode.findFirst({ where: { userId }, orderBy: { createdAt: 'desc' }, select: { createdAt: true } });
    return code?.createdAt;
  }

  /**
   * Spends one attempt on a live code in a single conditional UPDATE, so parallel guesses can
   * never make more than `maxAttempts` comparisons. Resolves with the attempts made including
   * this one, or undefined when none is left (or the code expired or was replaced meanwhile).
   */
  async spendAttempt(userId: string, codeId: string, maxAttempts: number, now: Date): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<{ attempts: number }[]>`
      UPDATE otp_codes SET attempts = attempts + 1
      WHERE id = CAST(${codeId} AS uuid) AND user_id = CAST(${userId} AS uuid) AND attempts < ${maxAttempts} AND expires_at > ${now}
      RETURNING attempts`;
    return rows[0]?.attempts;
  }

  /** Deletes the code once it has been used; false when it was already gone (replaced or used). */
  async consume(userId: string, codeId: string, db: Db = this.prisma): Promise<boolean> {
    const { count } = await db.otpCode.deleteMany({ where: { id: codeId, userId } });
    return count === 1;
  }

  async deleteExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.otpCode.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
