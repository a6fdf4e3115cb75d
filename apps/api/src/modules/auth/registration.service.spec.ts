import { DomainError } from '../../common/domain-error';
import { Mailer, MailMessage } from '../mail/mailer';
import type { NewOtpCode } from '../otp/otp.repository';
import { OtpService } from '../otp/otp.service';
import { AccountRepository, CodeFor, FreshCode, IssuedCode, PendingAccount, ReissueOutcome } from './account.repository';
import { PasswordHasher } from './password-hasher';
import { MAIL_RETRY_AFTER_SECONDS, RegistrationService } from './registration.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { ManualClock } from '../../../../../test/helpers/manual-clock';
import { domainError } from '../../../../../test/helpers/domain-error';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ACCOUNT: PendingAccount = { id: 'user-1', email: 'alice@example.com', createdAt: NOW, updatedAt: NOW };
const EXPIRES = new Date(NOW.getTime() + 600_000);
const RECORD: NewOtpCode = { userId: 'user-1', codeHash: 'h'.repeat(64), registeredAt: NOW, createdAt: NOW, expiresAt: EXPIRES };

const ISSUED: IssuedCode = { userId: ACCOUNT.id, email: ACCOUNT.email, codeId: 'code-2', registeredAt: NOW, expiresAt: EXPIRES, othersPending: false, previousRegistration: 'none' };

/** Plays the repository's transaction: makes the code for the account and commits (records 'commit'). */
function commitsIssue(result: unknown, events: string[]) {
  return jest.fn(async (_input: unknown, codeForOrCooldown: unknown, maybeCodeFor?: CodeFor) => {
    const codeFor = (maybeCodeFor ?? codeForOrCooldown) as CodeFor;
    codeFor(ACCOUNT.id);
    events.push('commit');
    return result;
  });
}

describe('RegistrationService', () => {
  let sent: MailMessage[];
  let events: string[];
  let mailer: Mailer;
  let otp: jest.Mocked<OtpService>;
  const passwords = strictMock<PasswordHasher>('passwords', { hash: jest.fn().mockResolvedValue('$argon2id$hash') });

  beforeEach(() => {
    sent = [];
    events = [];
    mailer = strictMock<Mailer>('mailer', { send: jest.fn(async (m: MailMessage) => void (sent.push(m), events.push('mail'))) });
    otp = strictMock<OtpService>('otp', {
      generate: jest.fn().mockReturnValue('042817'),
      record: jest.fn().mockReturnValue(RECORD),
      lifetimeSeconds: 600,
      check: jest.fn(),
      inCooldown: jest.fn(),
    });
  });

  function serviceWith(accounts: Partial<Record<keyof AccountRepository, jest.Mock>>): RegistrationService {
    return new RegistrationService(strictMock<AccountRepository>('accounts', accounts), otp, passwords, mailer, new ManualClock(NOW));
  }

  describe('register', () => {
    it('hashes the password, stores the account with a code for it and mails that code after the commit', async () => {
      const savePendingRegistration = commitsIssue({ account: ACCOUNT, issued: ISSUED }, events);
      const account = await serviceWith({ savePendingRegistration }).register('alice@example.com', 'correct horse');

      expect(account).toBe(ACCOUNT);
      expect(events).toEqual(['commit', 'mail']);
      expect(passwords.hash).toHaveBeenCalledWith('correct horse');
      expect(savePendingRegistration).toHaveBeenCalledWith({ email: 'alice@example.com', passwordHash: '$argon2id$hash', now: NOW }, expect.anything());
      expect(otp.record).toHaveBeenCalledWith('user-1', '042817');
      expect(sent).toEqual([expect.objectContaining({ to: 'alice@example.com', text: expect.stringContaining('042817') })]);
    });

    it('says in the mail, plainly, when another registration attempt for the address is pending', async () => {
      await serviceWith({ savePendingRegistration: commitsIssue({ account: ACCOUNT, issued: ISSUED }, events) }).register('alice@example.com', 'correct horse');
      await serviceWith({ savePendingRegistration: commitsIssue({ account: ACCOUNT, issued: { ...ISSUED, othersPending: true } }, events) }).register('alice@example.com', 'other horse');

      expect(sent[0].text).not.toMatch(/another registration/i);
      expect(sent[1].text).toMatch(/Another registration for this address is pending/);
      expect(sent[1].text).toMatch(/use only the code of the registration\s+made when you registered/);
      expect(sent[1].text).toContain('This code is for the registration made on 2026-03-01 at 12:00:00 UTC. It works until 2026-03-01 at 12:10:00 UTC.');
      expect(sent[1].text.match(/\b\d{6}\b/g)).toEqual(['042817']);
    });

    it('answers ALREADY_REGISTERED (409) when a verified account has the e-mail', async () => {
      const error = await domainError(serviceWith({ savePendingRegistration: jest.fn().mockResolvedValue(undefined) }).register('alice@example.com', 'correct horse'));
      expect(error.code).toBe('ALREADY_REGISTERED');
    });

    it('answers MAIL_UNAVAILABLE (503) when the mail cannot be sent, having withdrawn the committed attempt', async () => {
      mailer = strictMock<Mailer>('mailer', { send: jest.fn().mockRejectedValue(new Error('connect ECONNREFUSED')) });
      const withdrawIssue = jest.fn().mockResolvedValue(true);
      const service = serviceWith({ savePendingRegistration: commitsIssue({ account: ACCOUNT, issued: ISSUED }, events), withdrawIssue });
      const error = await domainError(service.register('alice@example.com', 'correct horse'));

      expect(error.code).toBe('MAIL_UNAVAILABLE');
      expect(error.retryAfterSeconds).toBe(MAIL_RETRY_AFTER_SECONDS);
      expect(error.message).not.toContain('ECONNREFUSED');
      expect(withdrawIssue).toHaveBeenCalledWith(ISSUED);
    });

    it('still answers MAIL_UNAVAILABLE when the withdrawal fails too', async () => {
      mailer = strictMock<Mailer>('mailer', { send: jest.fn().mockRejectedValue(new Error('SMTP down')) });
      const withdrawIssue = jest.fn().mockRejectedValue(new Error('database down'));
      const service = serviceWith({ savePendingRegistration: commitsIssue({ account: ACCOUNT, issued: ISSUED }, events), withdrawIssue });
      expect((await domainError(service.register('alice@example.com', 'correct horse'))).code).toBe('MAIL_UNAVAILABLE');
    });
  });

  describe('verify', () => {
    it('checks the code for the pending account and marks it verified with the code consumed', async () => {
      otp.check.mockResolvedValue('code-1');
      const markVerified = jest.fn().mockResolvedValue(true);
      await serviceWith({ findPendingByEmail: jest.fn().mockResolvedValue({ id: 'user-1' }), markVerified }).verify('alice@example.com', '042817');

      expect(otp.check).toHaveBeenCalledWith('user-1', 'alice@example.com', '042817');
      expect(markVerified).toHaveBeenCalledWith('user-1', 'code-1', NOW);
    });

    it('answers INVALID_CODE (401) when no unverified account has the e-mail', async () => {
      const error = await domainError(serviceWith({ findPendingByEmail: jest.fn().mockResolvedValue(undefined) }).verify('bob@example.com', '042817'));
      expect(error.code).toBe('INVALID_CODE');
    });

    it('passes on what the code check answers (expired, wrong, too many attempts)', async () => {
      otp.check.mockRejectedValue(new DomainError('CODE_EXPIRED', 'expired'));
      const error = await domainError(serviceWith({ findPendingByEmail: jest.fn().mockResolvedValue({ id: 'user-1' }) }).verify('alice@example.com', '042817'));
      expect(error.code).toBe('CODE_EXPIRED');
    });

    it('answers INVALID_CODE when the code was replaced between the check and the verification', async () => {
      otp.check.mockResolvedValue('code-1');
      const service = serviceWith({ findPendingByEmail: jest.fn().mockResolvedValue({ id: 'user-1' }), markVerified: jest.fn().mockResolvedValue(false) });
      expect((await domainError(service.verify('alice@example.com', '042817'))).code).toBe('INVALID_CODE');
    });
  });

  describe('resend', () => {
    const EARLIER = new Date(NOW.getTime() - 300_000);
    /** Plays `reissueCodes`: one fresh code per given attempt, committed before any mail. */
    function reissuesFor(attempts: Omit<IssuedCode, 'userId' | 'email' | 'codeId'>[]) {
      return jest.fn(async (_email: string, _now: Date, _inCooldown: unknown, fresh: FreshCode): Promise<ReissueOutcome> => {
        const issued = attempts.map((attempt, i) => ({ ...attempt, userId: ACCOUNT.id, email: ACCOUNT.email, codeId: `new-${i}`, code: fresh(ACCOUNT.id).code }));
        events.push('commit');
        return { outcome: 'sent', issued };
      });
    }
    const ownAttempt = { registeredAt: NOW, expiresAt: EXPIRES, othersPending: false };

    it('mails the new code of a pending account out of its cooldown, after answering and after the commit', async () => {
      const reissueCodes = reissuesFor([ownAttempt]);
      const service = serviceWith({ reissueCodes });

      expect(service.resend('alice@example.com')).toBeUndefined();
      await service.beforeApplicationShutdown();

      expect(reissueCodes).toHaveBeenCalledWith('alice@example.com', NOW, expect.any(Function), expect.any(Function));
      expect(sent).toEqual([expect.objectContaining({ to: 'alice@example.com', text: expect.stringContaining('042817') })]);
      expect(events).toEqual(['commit', 'mail']);
    });

    it('mails one fresh code per live attempt, each naming when its registration was made and its unchanged expiry', async () => {
      otp.generate.mockReturnValueOnce('111111').mockReturnValueOnce('222222');
      const attempts = [
        { registeredAt: EARLIER, expiresAt: new Date(EARLIER.getTime() + 600_000), othersPending: true },
        { registeredAt: NOW, expiresAt: EXPIRES, othersPending: true },
      ];
      const service = serviceWith({ reissueCodes: reissuesFor(attempts) });

      service.resend('alice@example.com');
      await service.beforeApplicationShutdown();

      expect(otp.record).toHaveBeenNthCalledWith(1, 'user-1', '111111');
      expect(otp.record).toHaveBeenNthCalledWith(2, 'user-1', '222222');
      expect(sent.map((m) => m.text.match(/\b\d{6}\b/g))).toEqual([['111111'], ['222222']]);
      expect(sent[0].text).toContain('registration made on 2026-03-01 at 11:55:00 UTC. It works until 2026-03-01 at 12:05:00 UTC.');
      expect(sent[1].text).toContain('registration made on 2026-03-01 at 12:00:00 UTC. It works until 2026-03-01 at 12:10:00 UTC.');
      for (const m of sent) expect(m.text).toMatch(/Another registration for this address is pending/);
    });

    it('asks the code service whether the last code is still in its cooldown', async () => {
      otp.inCooldown.mockReturnValue(true);
      const reissueCodes = jest.fn(async (_email: string, _now: Date, inCooldown: (d: Date | undefined) => boolean) => ({ outcome: inCooldown(NOW) ? 'cooldown' : 'no-pending-account' }));
      const service = serviceWith({ reissueCodes });

      service.resend('alice@example.com');
      await service.beforeApplicationShutdown();

      expect(otp.inCooldown).toHaveBeenCalledWith(NOW);
      expect(sent).toEqual([]);
    });

    it('swallows a mail failure, withdrawing only that new code; the other attempts still get theirs', async () => {
      const send = jest.fn().mockRejectedValueOnce(new Error('SMTP down')).mockImplementation(async (m: MailMessage) => void sent.push(m));
      mailer = strictMock<Mailer>('mailer', { send });
      const withdrawIssue = jest.fn().mockResolvedValue(true);
      const attempts = [{ ...ownAttempt, registeredAt: EARLIER, othersPending: true }, { ...ownAttempt, othersPending: true }];
      const service = serviceWith({ reissueCodes: reissuesFor(attempts), withdrawIssue });

      service.resend('alice@example.com');
      await expect(service.beforeApplicationShutdown()).resolves.toBeUndefined();
      expect(withdrawIssue).toHaveBeenCalledTimes(1);
      expect(withdrawIssue).toHaveBeenCalledWith(expect.objectContaining({ codeId: 'new-0', registeredAt: EARLIER }));
      expect(withdrawIssue.mock.calls[0][0]).not.toHaveProperty('code');
      expect(sent).toHaveLength(1);
      expect(sent[0].text).toContain('registration made on 2026-03-01 at 12:00:00 UTC');
    });
  });
});
