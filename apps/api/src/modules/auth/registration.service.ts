import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { Mailer } from '../mail/mailer';
import { OtpService, wrongCode } from '../otp/otp.service';
import { AccountRepository, IssuedCode, PendingAccount } from './account.repository';
import { PasswordHasher } from './password-hasher';
import { verificationMail } from './verification-mail';

/** A mail server that refused is often back within a minute (a restart, a full queue). */
export const MAIL_RETRY_AFTER_SECONDS = 30;

/** Sign-up: register, verify the e-mailed code, ask for a new code. */
@Injectable()
export class RegistrationService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RegistrationService.name);
  private readonly resends = new Set<Promise<void>>();

  constructor(
    private readonly accounts: AccountRepository,
    private readonly otp: OtpService,
    private readonly passwords: PasswordHasher,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates the unverified account, or adds a registration attempt to the pending one of the same
   * e-mail (each attempt with its own password and code), and mails the code once that is
   * committed. If the mail cannot be sent, the attempt is withdrawn and nothing of it is kept
   * (MAIL_UNAVAILABLE).
   */
  async register(email: string, password: string): Promise<PendingAccount> {
    const passwordHash = await this.passwords.hash(password);
    const code = this.otp.generate();
    const saved = await this.accounts.savePendingRegistration({ email, passwordHash, now: this.clock.now() }, (userId) => this.otp.record(userId, code));
    if (!saved) throw new DomainError('ALREADY_REGISTERED', 'An account with this e-mail already exists');
    await this.deliver(saved.issued, code);
    return saved.account;
  }

  async verify(email: string, code: string): Promise<void> {
    const account = await this.accounts.findPendingByEmail(email);
    if (!account) throw wrongCode();
    const codeId = await this.otp.check(account.id, email, code);
    if (!(await this.accounts.markVerified(account.id, codeId, this.clock.now()))) throw wrongCode();
  }

  /**
   * Mails a fresh code for every live registration attempt of the unverified account with this
   * e-mail (each mail names its registration's time; the old codes become void, the expiry stays),
   * if its last code is out of the cooldown. Delivery happens after the caller has its answer, so
   * neither the answer nor its timing says whether the e-mail has an account.
   */
  resend(email: string): void {
    const resend = this.reissue(email).finally(() => this.resends.delete(resend));
    this.resends.add(resend);
  }

  /** Lets resends that are still sending finish before the database and the mailer close. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.resends]);
  }

  private async reissue(email: string): Promise<void> {
    try {
      const fresh = (userId: string) => {
        const code = this.otp.generate();
        return { stored: this.otp.record(userId, code), code };
      };
      const result = await this.accounts.reissueCodes(email, this.clock.now(), (lastIssuedAt) => this.otp.inCooldown(lastIssuedAt), fresh);
      if (result.outcome !== 'sent') return;
      for (const { code, ...issued } of result.issued) {
        // A failed mail is logged and withdrawn by `deliver`; the other attempts still get theirs.
        await this.deliver(issued, code).catch((err: unknown) => {
          if (!(err instanceof DomainError)) throw err;
        });
      }
    } catch (err) {
      this.logger.error(`resend failed: ${(err as Error).message}`);
    }
  }

  /** Mails a committed code; if that fails, withdraws the code (and the attempt) before answering. */
  private async deliver(issued: IssuedCode, code: string): Promise<void> {
    try {
      await this.mailer.send(verificationMail(issued.email, code, issued));
    } catch (err) {
      this.logger.warn(`cannot send the verification mail: ${(err as Error).message}`);
      await this.accounts.withdrawIssue(issued).catch((undo: Error) => {
        // Left as it is, the code was never mailed: nobody can use it, and the sign-up expires.
        this.logger.error(`cannot withdraw the unsent code: ${undo.message}`);
      });
      throw new DomainError('MAIL_UNAVAILABLE', 'The verification mail cannot be sent right now; nothing was saved, try again later', MAIL_RETRY_AFTER_SECONDS);
    }
  }
}
