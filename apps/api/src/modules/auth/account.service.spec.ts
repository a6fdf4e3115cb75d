import type { ObjectStore } from '@coffer/storage';
import { ownerHash } from '@coffer/storage';
import type { AppConfig } from '../../config/app-config';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { AccessTokenService } from '../tokens/access-token.service';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { Account, AccountRepository } from './account.repository';
import { AccountService } from './account.service';
import { PasswordHasher } from './password-hasher';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { domainError } from '../../../../../test/helpers/domain-error';

const config = { secrets: { userIdHash: 'u'.repeat(32) }, ttl: { presignSeconds: 900 } } as AppConfig;
const NOW = new Date('2026-03-01T12:00:00Z');
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
    store?: Partial<Record<keyof ObjectStore, jest.Mock>>;
  }

  function serviceWith(parts: Parts): AccountService {
    return new AccountService(
      strictMock<AccountRepository>('accounts', parts.accounts),
      strictMock<PasswordHasher>('passwords', { verify: parts.verify ?? jest.fn().mockResolvedValue(true) }),
      strictMock<AccessTokenService>('accessTokens', { issue: jest.fn().mockReturnValue('access-jwt') }),
      strictMock<RefreshTokenService>('refreshTokens', parts.refreshTokens),
      strictMock<ObjectStore>('store', parts.store),
      config,
      { now: () => NOW },
    );
  }

  describe('login', () => {
    it('answers an access token and the first refresh token of a new family', async () => {
      const startFamily = jest.fn().mockResolvedValue('refresh-token');
      const verify = jest.fn().mockResolvedValue(true);
      const service = serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT) }, verify, refreshTokens: { startFamily } });

      await expect(service.login('alice@example.com', 'correct horse')).resolves.toEqual({ accessToken: 'access-jwt', refreshToken: 'refresh-token' });
      expect(verify).toHaveBeenCalledWith('$argon2id$hash', 'correct horse');
      expect(startFamily).toHaveBeenCalledWith(ACCOUNT.id);
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

  describe('deleteAccount', () => {
    it('kills every token, then deletes every object under the user’s prefix, then the row', async () => {
      const order: string[] = [];
      const revokeAllForUser = jest.fn(async () => void order.push('tokens'));
      const deletePrefix = jest.fn(async () => (order.push('objects'), 3));
      const deleteWithUsage = jest.fn(async () => void order.push('row'));
      const service = serviceWith({
        accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT), deleteWithUsage },
        refreshTokens: { revokeAllForUser },
        store: { deletePrefix },
      });

      await service.deleteAccount('alice@example.com', 'correct horse');

      expect(order).toEqual(['tokens', 'objects', 'row']);
      expect(revokeAllForUser).toHaveBeenCalledWith(ACCOUNT.id);
      expect(deletePrefix).toHaveBeenCalledWith(`${ownerHash(config.secrets.userIdHash, ACCOUNT.id)}/`);
      expect(deleteWithUsage).toHaveBeenCalledWith(ACCOUNT.id, {
        prefix: `${ownerHash(config.secrets.userIdHash, ACCOUNT.id)}/`,
        after: new Date(NOW.getTime() + config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS),
      });
    });

    it('keeps the row when storage fails, so the same call can be repeated, and answers 503 without storage details', async () => {
      const service = serviceWith({
        accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT) },
        refreshTokens: { revokeAllForUser: jest.fn().mockResolvedValue(undefined) },
        store: { deletePrefix: jest.fn().mockRejectedValue(new Error('bucket coffer: AccessDenied')) },
      });

      const error = await domainError(service.deleteAccount('alice@example.com', 'correct horse'));

      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.message).not.toMatch(/bucket|AccessDenied/);
    });

    it('touches nothing when the password is wrong', async () => {
      const service = serviceWith({ accounts: { findByEmail: jest.fn().mockResolvedValue(ACCOUNT) }, verify: jest.fn().mockResolvedValue(false) });
      expect((await domainError(service.deleteAccount('alice@example.com', 'wrong password'))).code).toBe('INVALID_CREDENTIALS');
    });
  });

  describe('sweepDeletedAccounts', () => {
    it('deletes what landed under each due prefix and forgets only the prefixes it swept', async () => {
      const dueSweeps = jest.fn().mockResolvedValue(['usrh-aaa/', 'usrh-bbb/']);
      const finishSweep = jest.fn().mockResolvedValue(undefined);
      const deletePrefix = jest.fn(async (prefix: string) => {
        if (prefix === 'usrh-bbb/') throw new Error('storage down');
        return 1;
      });
      const service = serviceWith({ accounts: { dueSweeps, finishSweep }, store: { deletePrefix } });

      await expect(service.sweepDeletedAccounts()).resolves.toBe(1);

      expect(dueSweeps).toHaveBeenCalledWith(NOW, 100);
      expect(deletePrefix.mock.calls).toEqual([['usrh-aaa/'], ['usrh-bbb/']]);
      expect(finishSweep.mock.calls).toEqual([['usrh-aaa/']]);
    });
  });
});
