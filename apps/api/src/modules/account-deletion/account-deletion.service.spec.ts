import { ownerKeyPrefix, type MultipartUploadInfo, type ObjectStore } from '@coffer/storage';
import { DomainError } from '../../common/domain-error';
import type { AppConfig } from '../../config/app-config';
import type { Account } from '../auth/account.repository';
import { AccountService } from '../auth/account.service';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { AccountDeletionRepository } from './account-deletion.repository';
import { AccountDeletionService } from './account-deletion.service';
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

async function* uploadsOf(...keys: string[]): AsyncIterable<MultipartUploadInfo> {
  for (const key of keys) yield { key, uploadId: `upload-${key}`, initiatedAt: new Date(0) };
}

describe('AccountDeletionService', () => {
  interface Parts {
    authenticate?: jest.Mock;
    deletions?: Partial<Record<keyof AccountDeletionRepository, jest.Mock>>;
    refreshTokens?: Partial<Record<keyof RefreshTokenService, jest.Mock>>;
    store?: Partial<Record<keyof ObjectStore, jest.Mock>>;
  }

  function serviceWith(parts: Parts): AccountDeletionService {
    return new AccountDeletionService(
      strictMock<AccountService>('accounts', { authenticate: parts.authenticate ?? jest.fn().mockResolvedValue(ACCOUNT) }),
      strictMock<RefreshTokenService>('refreshTokens', parts.refreshTokens),
      strictMock<AccountDeletionRepository>('deletions', parts.deletions),
      strictMock<ObjectStore>('store', parts.store),
      config,
      { now: () => NOW },
    );
  }

  describe('deleteAccount', () => {
    it('kills every token, then deletes every object under the user’s prefix, then the row', async () => {
      const order: string[] = [];
      const authenticate = jest.fn().mockResolvedValue(ACCOUNT);
      const revokeAllForUser = jest.fn(async () => void order.push('tokens'));
      const deletePrefix = jest.fn(async () => (order.push('objects'), 3));
      const deleteAccount = jest.fn(async () => (order.push('row'), true));
      const listMultipartUploads = jest.fn((prefix: string) => uploadsOf(`${prefix}f1`));
      const abortMultipartUpload = jest.fn(async () => void order.push('uploads'));
      const service = serviceWith({
        authenticate,
        deletions: { deleteAccount },
        refreshTokens: { revokeAllForUser },
        store: { deletePrefix, listMultipartUploads, abortMultipartUpload },
      });

      await service.deleteAccount('alice@example.com', 'correct horse');

      expect(authenticate).toHaveBeenCalledWith('alice@example.com', 'correct horse');
      expect(order).toEqual(['tokens', 'objects', 'uploads', 'row']);
      expect(abortMultipartUpload).toHaveBeenCalledWith(`${ownerKeyPrefix(config.secrets.userIdHash, ACCOUNT.id)}f1`, expect.any(String));
      expect(revokeAllForUser).toHaveBeenCalledWith(ACCOUNT.id);
      expect(deletePrefix).toHaveBeenCalledWith(ownerKeyPrefix(config.secrets.userIdHash, ACCOUNT.id));
      expect(deleteAccount).toHaveBeenCalledWith(ACCOUNT.id, {
        prefix: ownerKeyPrefix(config.secrets.userIdHash, ACCOUNT.id),
        after: new Date(NOW.getTime() + config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS),
      });
    });

    it('keeps the row when storage fails, so the same call can be repeated, and answers 503 without storage details', async () => {
      const service = serviceWith({
        refreshTokens: { revokeAllForUser: jest.fn().mockResolvedValue(undefined) },
        store: { deletePrefix: jest.fn().mockRejectedValue(new Error('bucket coffer: AccessDenied')) },
      });

      const error = await domainError(service.deleteAccount('alice@example.com', 'correct horse'));

      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.message).not.toMatch(/bucket|AccessDenied/);
    });

    it('touches nothing when the password is wrong', async () => {
      const refused = new DomainError('INVALID_CREDENTIALS', 'Wrong e-mail or password');
      const service = serviceWith({ authenticate: jest.fn().mockRejectedValue(refused) });
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
      const listMultipartUploads = jest.fn(() => uploadsOf());
      const service = serviceWith({ deletions: { dueSweeps, finishSweep }, store: { deletePrefix, listMultipartUploads } });

      await expect(service.sweepDeletedAccounts()).resolves.toBe(1);

      expect(dueSweeps).toHaveBeenCalledWith(NOW, 100);
      expect(deletePrefix.mock.calls).toEqual([['usrh-aaa/'], ['usrh-bbb/']]);
      expect(finishSweep.mock.calls).toEqual([['usrh-aaa/']]);
    });
  });
});
