import type { Clock } from '../../common/clock';
import { domainError } from '../../../../../test/helpers/domain-error';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { AccountKeysRecord, AccountKeysRepository, AccountKeysWriteOutcome } from './account-keys.repository';
import { AccountKeysService } from './account-keys.service';

const NOW = new Date('2026-05-01T10:00:00.000Z');
const USER = '11111111-1111-4111-8111-111111111111';
const KEY = 'A'.repeat(43) + '=';
const OTHER_KEY = 'B'.repeat(42) + 'A=';
const clock: Clock = { now: () => NOW };

function service(keys: jest.Mocked<AccountKeysRepository>) {
  return new AccountKeysService(keys, clock);
}

function writing(outcome: AccountKeysWriteOutcome) {
  return strictMock<AccountKeysRepository>('keys', { write: jest.fn().mockResolvedValue(outcome) });
}

describe('AccountKeysService', () => {
  describe('get', () => {
    it("answers the caller's keys", async () => {
      const record: AccountKeysRecord = { userId: USER, publicKey: KEY, bundle: '{}', version: 3, updatedAt: NOW };
      const keys = strictMock<AccountKeysRepository>('keys', { find: jest.fn().mockResolvedValue(record) });
      expect(await service(keys).get(USER)).toBe(record);
      expect(keys.find).toHaveBeenCalledWith(USER);
    });

    it('answers 404 when the account has none', async () => {
      const keys = strictMock<AccountKeysRepository>('keys', { find: jest.fn().mockResolvedValue(undefined) });
      expect((await domainError(service(keys).get(USER))).code).toBe('NOT_FOUND');
    });
  });

  describe('put', () => {
    it('writes at the version read and answers the new one', async () => {
      const keys = writing({ kind: 'written', version: 4 });
      expect(await service(keys).put(USER, { publicKey: KEY, bundle: '{"v":1}', version: 3 })).toBe(4);
      expect(keys.write).toHaveBeenCalledWith({ userId: USER, publicKey: KEY, bundle: '{"v":1}', expectedVersion: 3, now: NOW });
    });

    it('names a refusal with another stored public key KEY_MISMATCH', async () => {
      const err = await domainError(service(writing({ kind: 'refused', storedPublicKey: OTHER_KEY })).put(USER, { publicKey: KEY, bundle: '{}', version: 1 }));
      expect(err.code).toBe('KEY_MISMATCH');
    });

    it('names a refusal with the same public key KEY_VERSION_CONFLICT', async () => {
      const err = await domainError(service(writing({ kind: 'refused', storedPublicKey: KEY })).put(USER, { publicKey: KEY, bundle: '{}', version: 1 }));
      expect(err.code).toBe('KEY_VERSION_CONFLICT');
    });

    it('names a refused update of keys that do not exist KEY_VERSION_CONFLICT, saying to create them', async () => {
      const err = await domainError(service(writing({ kind: 'refused', storedPublicKey: null })).put(USER, { publicKey: KEY, bundle: '{}', version: 2 }));
      expect(err.code).toBe('KEY_VERSION_CONFLICT');
      expect(err.message).toMatch(/version 0/);
    });

    it('answers 401 when the account vanished under the request', async () => {
      const err = await domainError(service(writing({ kind: 'no-account' })).put(USER, { publicKey: KEY, bundle: '{}', version: 0 }));
      expect(err.code).toBe('INVALID_TOKEN');
    });
  });
});
