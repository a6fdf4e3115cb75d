import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';
import { NewOtpCode, OtpRepository, StoredOtpCode } from '../otp/otp.repository';

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

/** The code to store for an account, made once the account row (and so its id) is known. */
export type CodeFor = (userId: string) => NewOtpCode;

/**
 * A code that is stored and committed but not mailed yet: what `withdrawIssue` needs to undo the
 * attempt if the mail cannot be sent. Mail goes out only after the commit (no I/O inside a
 * transaction), so the attempt is undone by a second transaction rather than a rollback.
 */
export interface IssuedCode {
  userId: string;
  email: string;
  codeId: string;
  /** Resends only: the code this one replaced (the same registration attempt's previous code). */
  replacedCode?: StoredOtpCode;
  /** When the code's registration attempt was made, and when the code expires (both for its mail). */
  registeredAt: Date;
  expiresAt: Date;
  /** Another registration attempt for the address was live (unexpired) when this code was issued. */
  othersPending: boolean;
  /**
   * Registrations only: the pending registration this attempt replaced, or 'none' when it
   * created the account. Undefined for a resend, which leaves the account as it was.
   */
  previousRegistration?: { passwordHash: string; createdAt: Date; updatedAt: Date } | 'none';
}

/** A fresh code for a registration attempt: what is stored, and the digits to mail (never stored). */
export type FreshCode = (userId: string) => { stored: NewOtpCode; code: string };

export type ReissueOutcome = { outcome: 'sent'; issued: (IssuedCode & { code: string })[] } | { outcome: 'no-pending-account' | 'cooldown' | 'no-live-attempt' };

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

  /** The unverified account for `email`. Its code is committed before it is mailed, so it is visible here. */
  async findPendingByEmail(email: string): Promise<{ id: string } | undefined> {
    const user = await this.prisma.user.findFirst({ where: { email, verifiedAt: null }, select: { id: true } });
    return user ?? undefined;
  }

  /**
   * Creates the unverified account for `email`, or adds one more registration attempt to the
   * pending account that holds it (new creation time, so the sign-up lives on), and stores the
   * attempt's code carrying the attempt's own password hash, in one short transaction. Earlier
   * attempts, their passwords and codes are left as they are: a code verifies exactly the attempt
   * it was mailed for. Undefined when a verified account has the e-mail.
   */
  async savePendingRegistration(
    registration: { email: string; passwordHash: string; now: Date },
    codeFor: CodeFor,
  ): Promise<{ account: PendingAccount; issued: IssuedCode } | undefined> {
    const { email, passwordHash, now } = registration;
    return this.prisma.$transaction(async (tx) => {
      await lockCodeIssuance(tx, email);
      const [previous] = await tx.$queryRaw<{ id: string; password_hash: string; created_at: Date; updated_at: Date }[]>`
        SELECT id, password_hash, created_at, updated_at FROM users WHERE email = ${email} AND verified_at IS NULL FOR UPDATE`;
      const [account] = await tx.$queryRaw<{ id: string; email: string; created_at: Date; updated_at: Date }[]>`
        INSERT INTO users (id, email, password_hash, created_at, updated_at)
        VALUES (CAST(${randomUUID()} AS uuid), ${email}, ${passwordHash}, ${now}, ${now})
        ON CONFLICT (email) DO UPDATE
          SET created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
          WHERE users.verified_at IS NULL
        RETURNING id, email, created_at, updated_at`;
      if (!account) return undefined;
      const earlierCodes = previous ? await this.codes.allOf(account.id, tx) : [];
      const code = codeFor(account.id);
      const codeId = await this.codes.add({ ...code, passwordHash }, tx);
      return {
        account: { id: account.id, email: account.email, createdAt: account.created_at, updatedAt: account.updated_at },
        issued: {
          userId: account.id,
          email: account.email,
          codeId,
          registeredAt: code.registeredAt,
          expiresAt: code.expiresAt,
          othersPending: earlierCodes.some((earlier) => earlier.expiresAt > now),
          previousRegistration: previous ? { passwordHash: previous.password_hash, createdAt: previous.created_at, updatedAt: previous.updated_at } : 'none',
        },
      };
    });
  }

  /**
   * Gives every live registration attempt of the pending account for `email` (code not expired at
   * `now`) a fresh code with the same password, registration time and expiry as the code it
   * replaces, so a resend extends nothing; unless the account's last code is still in its resend
   * cooldown (checked under a lock on the account row, so two concurrent resends issue one round).
   * Expired attempts get nothing: registering again makes a new one.
   */
  async reissueCodes(email: string, now: Date, inCooldown: (lastIssuedAt: Date | undefined) => boolean, freshCode: FreshCode): Promise<ReissueOutcome> {
    return this.prisma.$transaction(async (tx): Promise<ReissueOutcome> => {
      await lockCodeIssuance(tx, email);
      const [account] = await tx.$queryRaw<{ id: string; email: string }[]>`
        SELECT id, email FROM users WHERE email = ${email} AND verified_at IS NULL FOR UPDATE`;
      if (!account) return { outcome: 'no-pending-account' };
      if (inCooldown(await this.codes.lastIssuedAt(account.id, tx))) return { outcome: 'cooldown' };
      const live = (await this.codes.allOf(account.id, tx)).filter((attempt) => attempt.expiresAt > now);
      if (live.length === 0) return { outcome: 'no-live-attempt' };
      const issued: (IssuedCode & { code: string })[] = [];
      for (const attempt of live) {
        await this.codes.consume(account.id, attempt.id, tx);
        const { stored, code } = freshCode(account.id);
        const { registeredAt, expiresAt, passwordHash } = attempt;
        const codeId = await this.codes.add({ ...stored, passwordHash, registeredAt, expiresAt }, tx);
        issued.push({ userId: account.id, email: account.email, codeId, code, replacedCode: attempt, registeredAt, expiresAt, othersPending: live.length > 1 });
      }
      return { outcome: 'sent', issued };
    });
  }

  /**
   * Undoes an issue whose mail could not be sent: its code goes (other registration attempts keep
   * theirs), a resend's replaced code comes back, and the account goes back to what it was before
   * (deleted if the attempt created it and no other attempt was added since, its previous times
   * otherwise). Nothing happens when the code is gone already (a resend replaced it, or the
   * account got verified). True when something was undone.
   */
  async withdrawIssue(issued: IssuedCode): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await lockCodeIssuance(tx, issued.email);
      if (!(await this.codes.consume(issued.userId, issued.codeId, tx))) return false;
      const previous = issued.previousRegistration;
      if (previous === 'none') {
        if ((await this.codes.allOf(issued.userId, tx)).length === 0) {
          await tx.user.deleteMany({ where: { id: issued.userId, verifiedAt: null } });
        }
        return true;
      }
      if (previous) {
        const { count } = await tx.user.updateMany({
          where: { id: issued.userId, verifiedAt: null },
          data: { passwordHash: previous.passwordHash, createdAt: previous.createdAt, updatedAt: previous.updatedAt },
        });
        if (count === 0) return false;
      }
      if (issued.replacedCode) await this.codes.putBack(issued.userId, issued.replacedCode, tx);
      return true;
    });
  }

  /**
   * Consumes the code and marks the account verified with the password of the registration
   * attempt the code was mailed for, deleting every other attempt of the address, atomically.
   * False when the code is already gone (used by a parallel request, or another attempt won).
   */
  async markVerified(userId: string, codeId: string, now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const taken = await this.codes.take(userId, codeId, tx);
      if (!taken) return false;
      const { count } = await tx.user.updateMany({
        where: { id: userId, verifiedAt: null },
        data: { verifiedAt: now, updatedAt: now, ...(taken.passwordHash ? { passwordHash: taken.passwordHash } : {}) },
      });
      if (count !== 1) return false;
      await this.codes.deleteAllOf(userId, tx);
      return true;
    });
  }

  /** Deletes registrations that were never verified and were last made before `before`. */
  async deleteUnverifiedCreatedBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.user.deleteMany({ where: { verifiedAt: null, createdAt: { lt: before } } });
    return count;
  }
}

/**
 * Serialises, per e-mail, the transactions that issue a code and the ones that withdraw an unsent
 * one. A row lock cannot do this for a new registration, whose row nobody else sees until it
 * commits.
 */
async function lockCodeIssuance(tx: Prisma.TransactionClient, email: string): Promise<void> {
  const key = createHash('sha256').update(`coffer-code-issue:${email}`).digest().readBigInt64BE(0);
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${key})::text`;
}
