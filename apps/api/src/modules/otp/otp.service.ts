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
 * an expiry, compared in constant time, and void after OTP_MAX_ATTEMPTS wrong guesses.
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
      createdAt,
      expiresAt: new Date(createdAt.getTime() + this.config.ttl.otpSeconds * 1000),
    };
  }

  get lifetimeSeconds(): number {
    return this.config.ttl.otpSeconds;
  }

  /**
   * Checks `code` against the user's current code, spending one attempt whether it is right or
   * wrong. Resolves with the id of the matched code (for the caller to consume with the
   * verification); otherwise CODE_EXPIRED (no live code), TOO_MANY_ATTEMPTS (the code is void:
   * this guess used up the last attempt, or none was left) or INVALID_CODE.
   */
  async check(userId: string, code: string): Promise<string> {
    const now = this.clock.now();
    const max = this.config.otpMaxAttempts;
    let current = await this.codes.findCurrent(userId);
    // Two rounds at most: a resend may replace the code between reading it and spending the
    // attempt; the guess is then checked against the code that replaced it.
    for (let round = 1; ; round++) {
      if (!current || current.expiresAt <= now) {
        throw new DomainError('CODE_EXPIRED', 'The code has expired; request a new one');
      }
      const attempts = await this.codes.spendAttempt(userId, current.id, max, now);
      if (attempts !== undefined) {
        if (this.matches(current.codeHash, this.hash(userId, code))) return current.id;
        throw attempts >= max ? this.tooManyAttempts(current.createdAt, now) : new DomainError('INVALID_CODE', 'Wrong code');
      }
      const latest = await this.codes.findCurrent(userId);
      if (round === 2 || latest?.id === current.id) throw this.tooManyAttempts(current.createdAt, now);
      current = latest;
    }
  }

  /** Whether a code issued at `lastIssuedAt` is recent enough that no new one should be sent. */
  inCooldown(lastIssuedAt: Date | undefined): boolean {
    return lastIssuedAt !== undefined && this.clock.now().getTime() < lastIssuedAt.getTime() + OTP_RESEND_COOLDOWN_SECONDS * 1000;
  }

  async deleteExpired(): Promise<number> {
    return this.codes.deleteExpired(this.clock.now());
  }

  /** `retryAfterSeconds` (Retry-After) says when a new code can be requested (the resend cooldown of the void one). */
  private tooManyAttempts(issuedAt: Date, now: Date): DomainError {
    const seconds = Math.max(1, Math.ceil((issuedAt.getTime() + OTP_RESEND_COOLDOWN_SECONDS * 1000 - now.getTime()) / 1000));
    return new DomainError('TOO_MANY_ATTEMPTS', 'Too many wrong codes; this code is void, request a new one', seconds);
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
