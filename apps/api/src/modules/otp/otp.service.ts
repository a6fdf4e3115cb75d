import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { NewOtpCode, OtpRepository } from './otp.repository';

export const OTP_DIGITS = 6;

/** A new code for the same user is sent at most this often (resend is a no-op in between). */
export const OTP_RESEND_COOLDOWN_SECONDS = 60;

/**
 * One-time codes: six CSPRNG digits, stored only as HMAC-SHA256(OTP_SECRET, user id + code) with
 * an expiry, compared in constant time; OTP_MAX_ATTEMPTS guesses per address per OTP_TTL window.
 */
@Injectable()
export class OtpService {
  constructor(
    private readonly codes: OtpRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Fresh digits to mail; `record` turns them into what is stored for a given user. */
  generate(): string {
    return randomInt(0, 10 ** OTP_DIGITS).toString().padStart(OTP_DIGITS, '0');
  }

  record(userId: string, code: string): NewOtpCode {
    const createdAt = this.clock.now();
    return {
      userId,
      codeHash: this.hash(userId, code),
      registeredAt: createdAt,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + this.config.ttl.otpSeconds * 1000),
    };
  }

  get lifetimeSeconds(): number {
    return this.config.ttl.otpSeconds;
  }

  /**
   * Checks `code` against every live code of the user (one per registration attempt), spending
   * one guess of the address's budget whether it is right or wrong: OTP_MAX_ATTEMPTS guesses per
   * OTP_TTL window across all codes, so neither re-registering nor a resend gives more guesses.
   * Resolves with the id of the matched code (the oldest, should two attempts share digits);
   * otherwise CODE_EXPIRED (no live code), TOO_MANY_ATTEMPTS (this guess used up the budget, or
   * none was left; Retry-After: the end of the window) or INVALID_CODE.
   */
  async check(userId: string, email: string, code: string): Promise<string> {
    const now = this.clock.now();
    const max = this.config.otpMaxAttempts;
    const live = await this.codes.findLive(userId, now);
    if (live.length === 0) throw codeExpired();
    const spent = await this.codes.spendBudget(email, max, this.config.ttl.otpSeconds, now);
    if ('exhaustedUntil' in spent) throw tooManyAttempts(spent.exhaustedUntil, now);
    const guess = this.hash(userId, code);
    const matched = live.find((candidate) => this.matches(candidate.codeHash, guess));
    if (matched) return matched.id;
    if (spent.attempts >= max) throw tooManyAttempts(spent.windowEndsAt, now);
    throw wrongCode();
  }

  /** Whether a code issued at `lastIssuedAt` is recent enough that no new one should be sent. */
  inCooldown(lastIssuedAt: Date | undefined): boolean {
    return lastIssuedAt !== undefined && this.clock.now().getTime() < lastIssuedAt.getTime() + OTP_RESEND_COOLDOWN_SECONDS * 1000;
  }

  async deleteExpired(): Promise<number> {
    const now = this.clock.now();
    await this.codes.deleteSpentBudgets(now, this.config.ttl.otpSeconds);
    return this.codes.deleteExpired(now);
  }

  private hash(userId: string, code: string): string {
    // The user id is a fixed-length UUID, so the concatenation is unambiguous.
    return createHmac('sha256', this.config.secrets.otp).update(userId + code).digest('hex');
  }

  private matches(storedHash: string, candidateHash: string): boolean {
    const a = Buffer.from(storedHash, 'hex');
    const b = Buffer.from(candidateHash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/**
 * One message for a wrong code, an expired or used one, and an address with no pending
 * registration, so the message never tells them apart.
 */
export const WRONG_CODE_MESSAGE = 'Wrong or expired code, or no registration pending for this e-mail';

export function wrongCode(): DomainError {
  return new DomainError('INVALID_CODE', WRONG_CODE_MESSAGE);
}

function codeExpired(): DomainError {
  return new DomainError('CODE_EXPIRED', WRONG_CODE_MESSAGE);
}

function tooManyAttempts(until: Date, now: Date): DomainError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new DomainError('TOO_MANY_ATTEMPTS', 'Too many wrong codes for this e-mail; try again later', seconds);
}
