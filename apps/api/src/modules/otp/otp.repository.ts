import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

/** A code as stored: only its keyed hash, never the digits. */
export interface StoredOtpCode {
  id: string;
  codeHash: string;
  /** The password of the registration attempt the code was mailed for (null: the account's). */
  passwordHash: string | null;
  /** When the registration attempt was made (kept across resends; `createdAt` is this code's issue). */
  registeredAt: Date;
  attempts: number;
  expiresAt: Date;
  createdAt: Date;
}

export interface NewOtpCode {
  userId: string;
  codeHash: string;
  passwordHash?: string | null;
  registeredAt: Date;
  expiresAt: Date;
  createdAt: Date;
}

const STORED = { id: true, codeHash: true, passwordHash: true, registeredAt: true, attempts: true, expiresAt: true, createdAt: true } as const;

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

  /** Stores one more code (a registration attempt of its own), leaving the user's other codes alone; its id. */
  async add(code: NewOtpCode, db: Db = this.prisma): Promise<string> {
    return (await db.otpCode.create({ data: code, select: { id: true } })).id;
  }

  /** Every code of the user as stored, oldest first. */
  async allOf(userId: string, db: Db = this.prisma): Promise<StoredOtpCode[]> {
    return db.otpCode.findMany({ where: { userId }, orderBy: { createdAt: 'asc' }, select: STORED });
  }

  /** The user's codes that have not expired, oldest registration attempt first. */
  async findLive(userId: string, now: Date): Promise<StoredOtpCode[]> {
    return this.prisma.otpCode.findMany({ where: { userId, expiresAt: { gt: now } }, orderBy: [{ registeredAt: 'asc' }, { id: 'asc' }], select: STORED });
  }

  /** Puts back exactly `code` (same id, attempts and times) as one of the user's codes. */
  async putBack(userId: string, code: StoredOtpCode, db: Db = this.prisma): Promise<void> {
    await db.otpCode.create({ data: { ...code, userId } });
  }

  async lastIssuedAt(userId: string, db: Db = this.prisma): Promise<Date | undefined> {
    const code = await db.otpCode.findFirst({ where: { userId }, orderBy: { createdAt: 'desc' }, select: { createdAt: true } });
    return code?.createdAt;
  }

  /**
   * Spends one guess of the address's budget in one statement (so parallel guesses never exceed
   * it): at most `maxAttempts` per window of `windowSeconds`, a window starting at its first
   * guess. Resolves with the guesses made in the window including this one and when the window
   * ends, or with the end of the window when no guess is left.
   */
  async spendBudget(email: string, maxAttempts: number, windowSeconds: number, now: Date): Promise<{ attempts: number; windowEndsAt: Date } | { exhaustedUntil: Date }> {
    const windowStart = new Date(now.getTime() - windowSeconds * 1000);
    const rows = await this.prisma.$queryRaw<{ attempts: number; window_started_at: Date }[]>`
      INSERT INTO otp_attempt_budgets (email, attempts, window_started_at) VALUES (${email}, 1, ${now})
      ON CONFLICT (email) DO UPDATE SET
        attempts = CASE WHEN otp_attempt_budgets.window_started_at <= ${windowStart} THEN 1 ELSE otp_attempt_budgets.attempts + 1 END,
        window_started_at = CASE WHEN otp_attempt_budgets.window_started_at <= ${windowStart} THEN ${now} ELSE otp_attempt_budgets.window_started_at END
      WHERE otp_attempt_budgets.window_started_at <= ${windowStart} OR otp_attempt_budgets.attempts < ${maxAttempts}
      RETURNING attempts, window_started_at`;
    if (rows[0]) return { attempts: rows[0].attempts, windowEndsAt: new Date(rows[0].window_started_at.getTime() + windowSeconds * 1000) };
    const budget = await this.prisma.otpAttemptBudget.findUnique({ where: { email }, select: { windowStartedAt: true } });
    return { exhaustedUntil: new Date((budget?.windowStartedAt ?? now).getTime() + windowSeconds * 1000) };
  }

  /**
   * Deletes the code once it has been used, answering the password of its registration attempt;
   * undefined when it was already gone (used by a parallel request, or its account verified).
   */
  async take(userId: string, codeId: string, db: Db = this.prisma): Promise<{ passwordHash: string | null } | undefined> {
    const rows = await db.$queryRaw<{ password_hash: string | null }[]>`
      DELETE FROM otp_codes WHERE id = CAST(${codeId} AS uuid) AND user_id = CAST(${userId} AS uuid) RETURNING password_hash`;
    return rows[0] ? { passwordHash: rows[0].password_hash } : undefined;
  }

  /** Deletes every code of the user (the other registration attempts, once one is verified). */
  async deleteAllOf(userId: string, db: Db = this.prisma): Promise<void> {
    await db.otpCode.deleteMany({ where: { userId } });
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

  /** Deletes the guess budgets whose window is over (they would start afresh anyway). */
  async deleteSpentBudgets(now: Date, windowSeconds: number): Promise<number> {
    const { count } = await this.prisma.otpAttemptBudget.deleteMany({ where: { windowStartedAt: { lte: new Date(now.getTime() - windowSeconds * 1000) } } });
    return count;
  }
}
