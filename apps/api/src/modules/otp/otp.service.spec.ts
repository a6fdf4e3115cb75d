import type { AppConfig } from '../../config/app-config';
import { OtpRepository, StoredOtpCode } from './otp.repository';
import { OTP_RESEND_COOLDOWN_SECONDS, OtpService } from './otp.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { ManualClock } from '../../../../../test/helpers/manual-clock';
import { domainError } from '../../../../../test/helpers/domain-error';

const USER = '6f1c2a7e-3b7d-4a51-9f0e-2d6c8b1a4e90';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const config = { secrets: { otp: 'o'.repeat(32) }, ttl: { otpSeconds: 600 }, otpMaxAttempts: 5 } as AppConfig;

describe('OtpService', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(NOW);
  });

  function serviceWith(repository: Partial<Record<keyof OtpRepository, jest.Mock>>): OtpService {
    return new OtpService(strictMock<OtpRepository>('repository', repository), clock, config);
  }

  function stored(code: string, overrides: Partial<StoredOtpCode> = {}): StoredOtpCode {
    const record = serviceWith({}).record(USER, code);
    return { id: 'code-1', codeHash: record.codeHash, attempts: 0, expiresAt: record.expiresAt, createdAt: record.createdAt, ...overrides };
  }

  describe('generate', () => {
    it('makes six decimal digits, keeping leading zeros', () => {
      const service = serviceWith({});
      const codes = Array.from({ length: 200 }, () => service.generate());
      expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
      expect(new Set(codes).size).toBeGreaterThan(190);
    });
  });

  describe('record', () => {
    it('stores a keyed hash bound to the user, never the digits, expiring after OTP_TTL_SECONDS', () => {
      const service = serviceWith({});
      const record = service.record(USER, '123456');

      expect(record).toEqual({ userId: USER, codeHash: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: NOW, expiresAt: new Date(NOW.getTime() + 600_000) });
      expect(record.codeHash).not.toContain('123456');
      expect(service.record('00000000-0000-4000-8000-000000000000', '123456').codeHash).not.toBe(record.codeHash);
    });
  });

  describe('check', () => {
    it('accepts the right code, spending one attempt, and answers the id of the code', async () => {
      const spendAttempt = jest.fn().mockResolvedValue(1);
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(stored('123456')), spendAttempt });

      await expect(service.check(USER, '123456')).resolves.toBe('code-1');
      expect(spendAttempt).toHaveBeenCalledWith(USER, 'code-1', 5, NOW);
    });

    it('answers INVALID_CODE for a wrong code while attempts are left', async () => {
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(stored('123456')), spendAttempt: jest.fn().mockResolvedValue(4) });

      expect((await domainError(service.check(USER, '654321'))).code).toBe('INVALID_CODE');
    });

    it('answers TOO_MANY_ATTEMPTS with Retry-After when a wrong code uses up the last attempt', async () => {
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(stored('123456')), spendAttempt: jest.fn().mockResolvedValue(5) });
      clock.current = new Date(NOW.getTime() + 20_000);

      const error = await domainError(service.check(USER, '654321'));

      expect(error.code).toBe('TOO_MANY_ATTEMPTS');
      expect(error.retryAfterSeconds).toBe(OTP_RESEND_COOLDOWN_SECONDS - 20);
    });

    it('refuses even the right code once no attempt is left (the code is void)', async () => {
      const findCurrent = jest.fn().mockResolvedValue(stored('123456', { attempts: 5 }));
      const service = serviceWith({ findCurrent, spendAttempt: jest.fn().mockResolvedValue(undefined) });

      const error = await domainError(service.check(USER, '123456'));

      expect(error.code).toBe('TOO_MANY_ATTEMPTS');
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    it('checks the guess against the new code when a resend replaced the code meanwhile', async () => {
      const replacement = stored('777777', { id: 'code-2' });
      const findCurrent = jest.fn().mockResolvedValueOnce(stored('123456')).mockResolvedValueOnce(replacement);
      const spendAttempt = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValueOnce(1);
      const service = serviceWith({ findCurrent, spendAttempt });

      await expect(service.check(USER, '777777')).resolves.toBe('code-2');
      expect(spendAttempt).toHaveBeenLastCalledWith(USER, 'code-2', 5, NOW);
    });

    it('gives up after one replacement rather than chasing codes forever', async () => {
      const findCurrent = jest.fn()
        .mockResolvedValueOnce(stored('123456'))
        .mockResolvedValueOnce(stored('222222', { id: 'code-2' }))
        .mockResolvedValueOnce(stored('333333', { id: 'code-3' }));
      const service = serviceWith({ findCurrent, spendAttempt: jest.fn().mockResolvedValue(undefined) });

      expect((await domainError(service.check(USER, '333333'))).code).toBe('TOO_MANY_ATTEMPTS');
    });

    it('answers CODE_EXPIRED when the code has expired, without spending an attempt', async () => {
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(stored('123456')) });
      clock.current = new Date(NOW.getTime() + 600_000);

      expect((await domainError(service.check(USER, '123456'))).code).toBe('CODE_EXPIRED');
    });

    it('answers CODE_EXPIRED when the user has no code at all', async () => {
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(undefined) });

      expect((await domainError(service.check(USER, '123456'))).code).toBe('CODE_EXPIRED');
    });

    it('does not accept a code issued to another user', async () => {
      const otherUsersCode = { ...stored('123456'), codeHash: serviceWith({}).record('00000000-0000-4000-8000-000000000000', '123456').codeHash };
      const service = serviceWith({ findCurrent: jest.fn().mockResolvedValue(otherUsersCode), spendAttempt: jest.fn().mockResolvedValue(1) });

      expect((await domainError(service.check(USER, '123456'))).code).toBe('INVALID_CODE');
    });
  });

  describe('inCooldown', () => {
    it('is true for a code issued less than the cooldown ago, false after it and without a code', () => {
      const service = serviceWith({});
      expect(service.inCooldown(new Date(NOW.getTime() - (OTP_RESEND_COOLDOWN_SECONDS - 1) * 1000))).toBe(true);
      expect(service.inCooldown(new Date(NOW.getTime() - OTP_RESEND_COOLDOWN_SECONDS * 1000))).toBe(false);
      expect(service.inCooldown(undefined)).toBe(false);
    });
  });

  describe('deleteExpired', () => {
    it('deletes codes expired by now', async () => {
      const deleteExpired = jest.fn().mockResolvedValue(3);
      await expect(serviceWith({ deleteExpired }).deleteExpired()).resolves.toBe(3);
      expect(deleteExpired).toHaveBeenCalledWith(NOW);
    });
  });
});
