import type { AppConfig } from '../../config/app-config';
import { OtpRepository, StoredOtpCode } from './otp.repository';
import { OTP_RESEND_COOLDOWN_SECONDS, OtpService, WRONG_CODE_MESSAGE } from './otp.service';
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
    return { id: 'code-1', codeHash: record.codeHash, passwordHash: null, registeredAt: record.registeredAt, attempts: 0, expiresAt: record.expiresAt, createdAt: record.createdAt, ...overrides };
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

      expect(record).toEqual({ userId: USER, codeHash: expect.stringMatching(/^[0-9a-f]{64}$/), registeredAt: NOW, createdAt: NOW, expiresAt: new Date(NOW.getTime() + 600_000) });
      expect(record.codeHash).not.toContain('123456');
      expect(service.record('00000000-0000-4000-8000-000000000000', '123456').codeHash).not.toBe(record.codeHash);
    });
  });

  describe('check', () => {
    const EMAIL = 'alice@example.com';
    const WINDOW_END = new Date(NOW.getTime() + 600_000);

    it('accepts the right code, spending one guess of the address budget, and answers the id of the code', async () => {
      const spendBudget = jest.fn().mockResolvedValue({ attempts: 1, windowEndsAt: WINDOW_END });
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([stored('123456')]), spendBudget });

      await expect(service.check(USER, EMAIL, '123456')).resolves.toBe('code-1');
      expect(spendBudget).toHaveBeenCalledWith(EMAIL, 5, 600, NOW);
    });

    it('checks the guess against every live code (one per registration attempt) and answers the one it matches', async () => {
      const live = [stored('111111'), stored('222222', { id: 'code-2' }), stored('333333', { id: 'code-3' })];
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue(live), spendBudget: jest.fn().mockResolvedValue({ attempts: 1, windowEndsAt: WINDOW_END }) });

      await expect(service.check(USER, EMAIL, '222222')).resolves.toBe('code-2');
    });

    it('answers INVALID_CODE for a wrong code while guesses are left, with the uniform message', async () => {
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([stored('123456')]), spendBudget: jest.fn().mockResolvedValue({ attempts: 4, windowEndsAt: WINDOW_END }) });

      const error = await domainError(service.check(USER, EMAIL, '654321'));
      expect(error.code).toBe('INVALID_CODE');
      expect(error.message).toBe(WRONG_CODE_MESSAGE);
    });

    it('answers TOO_MANY_ATTEMPTS with Retry-After (the end of the window) when a wrong code uses up the last guess', async () => {
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([stored('123456')]), spendBudget: jest.fn().mockResolvedValue({ attempts: 5, windowEndsAt: WINDOW_END }) });
      clock.current = new Date(NOW.getTime() + 20_000);

      const error = await domainError(service.check(USER, EMAIL, '654321'));

      expect(error.code).toBe('TOO_MANY_ATTEMPTS');
      expect(error.retryAfterSeconds).toBe(580);
    });

    it('refuses even the right code once the address has no guess left', async () => {
      const spendBudget = jest.fn().mockResolvedValue({ exhaustedUntil: WINDOW_END });
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([stored('123456')]), spendBudget });

      const error = await domainError(service.check(USER, EMAIL, '123456'));

      expect(error.code).toBe('TOO_MANY_ATTEMPTS');
      expect(error.retryAfterSeconds).toBe(600);
    });

    it('answers CODE_EXPIRED, with the uniform message and without spending a guess, when no code is live', async () => {
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([]) });

      const error = await domainError(service.check(USER, EMAIL, '123456'));
      expect(error.code).toBe('CODE_EXPIRED');
      expect(error.message).toBe(WRONG_CODE_MESSAGE);
    });

    it('does not accept a code issued to another user', async () => {
      const otherUsersCode = { ...stored('123456'), codeHash: serviceWith({}).record('00000000-0000-4000-8000-000000000000', '123456').codeHash };
      const service = serviceWith({ findLive: jest.fn().mockResolvedValue([otherUsersCode]), spendBudget: jest.fn().mockResolvedValue({ attempts: 1, windowEndsAt: WINDOW_END }) });

      expect((await domainError(service.check(USER, EMAIL, '123456'))).code).toBe('INVALID_CODE');
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
    it('deletes codes expired by now, and guess budgets whose window is over', async () => {
      const deleteExpired = jest.fn().mockResolvedValue(3);
      const deleteSpentBudgets = jest.fn().mockResolvedValue(1);
      await expect(serviceWith({ deleteExpired, deleteSpentBudgets }).deleteExpired()).resolves.toBe(3);
      expect(deleteExpired).toHaveBeenCalledWith(NOW);
      expect(deleteSpentBudgets).toHaveBeenCalledWith(NOW, 600);
    });
  });
});
