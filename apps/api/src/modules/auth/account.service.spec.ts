import { DomainError } from '../../common/domain-error';
import { PasswordGuessBudget } from '../rate-limit/password-guess-budget';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { Account, AccountRepository } from './account.repository';
import { AccountService } from './account.service';
import { PasswordHasher } from './password-hasher';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { domainError } from '../../../../../test/helpers/domain-error';

const ACCOUNT: Account = {
  id: '6f1c2a7e-3b7d-4a51-9f0e-2d6c8b1a4e90',
  email: 'alice@example.com',
  passwordHash: '$argon2id$hash',
  verifiedAt: new Date('2026-03-01T12:00:00.000Z'),
  tokenVersion: 2,
};

describe('AccountService', () => {
  interface Parts {
    accounts?: Partial<Record<keyof AccountRepository, jest.Mock>>;
    verify?: jest.Mock;
    refreshTokens?: Partial<Record<keyof RefreshTokenService, jest.Mock>>;
    spend?: jest.Mock;
  }

  function serviceWith(parts: Parts): AccountService {
    return new AccountService(
      strictMock<AccountRepository>('accounts', parts.accounts),
      strictMock<PasswordHasher>('passwords', { verify: parts.verify ?? jest.fn().mockResolvedValue(true) }),
      strictMock<RefreshTokenService>('refreshTokens', parts.refreshTokens),
      strictMock<PasswordGuessBudget>('guesses', { spend: parts.spend ?? jest.fn().mockResolvedValue(undefined) }),
    );
  }

  describe('login', () => {
    it('answers an access token and the first refresh token of a new family', async () => {
      const startSession = jest.fn().mockResolvedValue({ accessToken: 'access-jwt', refreshToken: 'refresh-token' });
      const verify = jest.fn().mockResolvedValue(true);
      const service = serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT) }, verify, refreshTokens: { startSession } });

      await expect(service.login('alice@example.com', 'correct horse')).resolves.toEqual({ accessToken: 'access-jwt', refreshToken: 'refresh-token' });
      expect(verify).toHaveBeenCalledWith('$argon2id$hash', 'correct horse');
      expect(startSession).toHaveBeenCalledWith(ACCOUNT);
    });

    it('spends one of the account’s password guesses before checking, and checks nothing once they are used up', async () => {
      const spend = jest.fn().mockRejectedValue(new DomainError('RATE_LIMITED', 'too many', 30));
      const verify = jest.fn();
      const error = await domainError(serviceWith({ accounts: { findByEmail: jest.fn() }, verify, spend }).authenticate('alice@example.com', 'guess'));

      expect(spend).toHaveBeenCalledWith('alice@example.com');
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
      expect(verify).not.toHaveBeenCalled();
    });

    it('checks the password against the dummy hash for an unknown e-mail, then answers INVALID_CREDENTIALS', async () => {
      const verify = jest.fn().mockResolvedValue(false);
      const error = await domainError(serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue(undefined) }, verify }).login('bob@example.com', 'whatever1'));

      expect(verify).toHaveBeenCalledWith(undefined, 'whatever1');
      expect(error.code).toBe('INVALID_CREDENTIALS');
    });

    it('answers the same INVALID_CREDENTIALS for a wrong password', async () => {
      const service = serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT) }, verify: jest.fn().mockResolvedValue(false) });
      expect((await domainError(service.login('alice@example.com', 'wrong password'))).code).toBe('INVALID_CREDENTIALS');
    });

    it('answers the same INVALID_CREDENTIALS for an unverified account, even with its right password', async () => {
      const verify = jest.fn().mockResolvedValue(true);
      const service = serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue({ ...ACCOUNT, verifiedAt: null }) }, verify });

      expect((await domainError(service.login('alice@example.com', 'correct horse'))).code).toBe('INVALID_CREDENTIALS');
      expect(verify).toHaveBeenCalledWith('$argon2id$hash', 'correct horse');
    });
  });
});
