import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';
import { NewOtpCode, OtpRepository } from '../otp/otp.repository';

export interface Account {
  id: string;
  email: string;
  passwordHash: string;
  verifiedAt: Date | null;
  tokenVersion: number;
}

export interface PendingAccount {
  id: string;
  email: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What happens inside a registration's or a resend's transaction once the account row is
 * known: the code to store for it, then the delivery of that code. If delivery throws, the
 * transaction rolls back and nothing of the attempt remains.
 */
export interface CodeIssue {
  codeFor(userId: string): NewOtpCode;
  deliver(account: { id: string; email: string }): Promise<void>;
}

export type ReissueOutcome = 'sent' | 'no-pending-account' | 'cooldown';

// Delivery (SMTP) happens inside the transaction; the mailer's own timeouts are shorter than this.
const MAIL_TRANSACTION_TIMEOUT_MS = 60_000;

/** Users as accounts: registration, verification, lookup by e-mail, stale sign-ups. */
@Injectable()
export class AccountRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly codes: OtpRepository,
  ) {}

  async findByEmail(email: string): Promise<Account | undefined> {
    const user = await this.prisma.user.findUnique({
      where: { email },
      select: { id: true, email: true, passwordHash: true, verifiedAt: true, tokenVersion: true },
    });
    return user ?? undefined;
  }

  /**
   * The unverified account for `email`, read once any issuance of a code for it that is still in
   * flight has committed: the code's mail is sent inside that transaction, so it can be read (and
   * typed in) before the code is visible.
   */
  async findPendingByEmail(email: string): Promise<{ id: string } | undefined> {
    return this.prisma.$transaction(async (tx) => {
      await lockCodeIssuance(tx, email);
      const user = await tx.user.findFirst({ where: { email, verifiedAt: null }, select: { id: true } });
      return user ?? undefined;
    });
  }

  /**
   * Creates the unverified account for `email`, or replaces the pending registration that holds
   * it (new password hash, new creation time, older codes voided), stores the new code and
   * delivers it, all in one transaction. Undefined when a verified account has the e-mail.
   * Concurrent registrations of one e-mail are serialised by the row lock of the upsert.
   */
  async savePendingRegistration(
    registration: { email: string; passwordHash: string; now: Date },
    issue: CodeIssue,
  ): Promise<PendingAccount | undefined> {
    const { email, passwordHash, now } = registration;
    return this.prisma.$transaction(
      async (tx) => {
        await lockCodeIssuance(tx, email);
        const [account] = await tx.$queryRaw<{ id: string; email: string; created_at: Date; updated_at: Date }[]>`
          INSERT INTO users (id, email, password_hash, created_at, updated_at)
          VALUES (CAST(${randomUUID()} AS uuid), ${email}, ${passwordHash}, ${now}, ${now})
          ON CONFLICT (email) DO UPDATE
            SET password_hash = EXCLUDED.password_hash, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
            WHERE users.verified_at IS NULL
          RETURNING id, email, created_at, updated_at`;
        if (!account) return undefined;
        await this.codes.replace(issue.codeFor(account.id), tx);
        await issue.deliver(account);
        return { id: account.id, email: account.email, createdAt: account.created_at, updatedAt: account.updated_at };
      },
      { timeout: MAIL_TRANSACTION_TIMEOUT_MS },
    );
  }

  /**
   * Replaces the code of the pending account for `email` and delivers the new one, unless the
   * current code is still in its resend cooldown (checked under a lock on the account row, so
   * two concurrent resends send one mail).
   */
  async reissueCode(email: string, inCooldown: (lastIssuedAt: Date | undefined) => boolean, issue: CodeIssue): Promise<ReissueOutcome> {
    return this.prisma.$transaction(
      async (tx) => {
        await lockCodeIssuance(tx, email);
        const [account] = await tx.$queryRaw<{ id: string; email: string }[]>`
          SELECT id, email FROM users WHERE email = ${email} AND verified_at IS NULL FOR UPDATE`;
        if (!account) return 'no-pending-account';
        if (inCooldown(await this.codes.lastIssuedAt(account.id, tx))) return 'cooldown';
        await this.codes.replace(issue.codeFor(account.id), tx);
        await issue.deliver(account);
        return 'sent';
      },
      { timeout: MAIL_TRANSACTION_TIMEOUT_MS },
    );
  }

  /**
   * Consumes the code and marks the account verified, atomically. False when the code is
   * already gone (replaced by a new registration or used by a parallel request).
   */
  async markVerified(userId: string, codeId: string, now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      if (!(await this.codes.consume(userId, codeId, tx))) return false;
      const { count } = await tx.user.updateMany({ where: { id: userId, verifiedAt: null }, data: { verifiedAt: now, updatedAt: now } });
      return count === 1;
    });
  }

  /** Deletes registrations that were never verified and were last made before `before`. */
  async deleteUnverifiedCreatedBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.user.deleteMany({ where: { verifiedAt: null, createdAt: { lt: before } } });
    return count;
  }
}

/**
 * Serialises, per e-mail, the transactions that issue a code (and mail it before they commit)
 * with the lookup that verification starts from. A row lock cannot do this for a new
 * registration, whose row nobody else sees until it commits.
 */
async function lockCodeIssuance(tx: Prisma.TransactionClient, email: string): Promise<void> {
  const key = createHash('sha256').update(`coffer-code-issue:${email}`).digest().readBigInt64BE(0);
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${key})::text`;
}
