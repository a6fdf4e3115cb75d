import { DomainError } from '../../common/domain-error';
import type { AppConfig } from '../../config/app-config';
import { LedgerRepository } from './ledger.repository';
import { formatExactBytes } from '@coffer/contract';
import { MAX_SINGLE_PUT_BYTES } from '@coffer/storage';
import { QuotaService } from './quota.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';

function quotaWith(maxFileSizeBytes: number, repository = strictMock<LedgerRepository>('ledger')): QuotaService {
  const config = { limits: { maxFileSizeBytes, userQuotaBytes: 1000, globalQuotaBytes: 0, maxFilesPerUser: 7, dailyDownloadLimit: 3 } } as AppConfig;
  return new QuotaService(repository, config);
}

function thrown(fn: () => void): DomainError | undefined {
  try {
    fn();
  } catch (err) {
    return err as DomainError;
  }
  return undefined;
}

describe('QuotaService', () => {
  describe('assertDeclaredSizeAllowed', () => {
    it('accepts sizes up to the per-file limit', () => {
      expect(thrown(() => quotaWith(100).assertDeclaredSizeAllowed(100))).toBeUndefined();
      expect(thrown(() => quotaWith(100).assertDeclaredSizeAllowed(0))).toBeUndefined();
    });

    it('refuses sizes over the per-file limit with 413', () => {
      const err = thrown(() => quotaWith(100).assertDeclaredSizeAllowed(101));
      expect(err).toMatchObject({ code: 'FILE_TOO_LARGE' });
      expect(err?.message).toContain('per-file limit of 100 bytes');
    });

    it('states sizes with libs/contract\'s formatExactBytes, the CLI\'s helper: binary units and the exact count, never GB or MB', () => {
      const overLimit = thrown(() => quotaWith(3 * 1024 ** 3).assertDeclaredSizeAllowed(3 * 1024 ** 3 + 1));
      expect(overLimit?.message).toBe(`The file is larger than the per-file limit of ${formatExactBytes(3 * 1024 ** 3)}`);
      expect(overLimit?.message).toContain('3 GiB (3,221,225,472 bytes)');
      const overPut = thrown(() => quotaWith(10 * MAX_SINGLE_PUT_BYTES).assertDeclaredSizeAllowed(MAX_SINGLE_PUT_BYTES + 1));
      expect(overPut?.message).toContain(`larger than ${formatExactBytes(MAX_SINGLE_PUT_BYTES)}, the most a single PUT`);
      expect(overPut?.message).toContain('4.7 GiB (5,000,000,000 bytes)');
      const stored = quotaWith(1024 ** 2).storedSizeViolation(3_000_000, 100);
      expect(stored).toBe(`The stored object (${formatExactBytes(3_000_000)}) is larger than the declared size (100 bytes)`);
      for (const message of [overLimit?.message, overPut?.message, stored]) expect(message).not.toMatch(/\b[kKMGT]B\b|\d{4,} bytes/);
    });

    it('explains the single-PUT limit when the configured limit is higher', () => {
      const err = thrown(() => quotaWith(10 * MAX_SINGLE_PUT_BYTES).assertDeclaredSizeAllowed(MAX_SINGLE_PUT_BYTES + 1));
      expect(err).toMatchObject({ code: 'FILE_TOO_LARGE' });
      expect(err?.message).toMatch(/single PUT/);
      expect(thrown(() => quotaWith(10 * MAX_SINGLE_PUT_BYTES).assertDeclaredSizeAllowed(MAX_SINGLE_PUT_BYTES))).toBeUndefined();
    });
  });

  describe('assertMultipartSizeAllowed', () => {
    it('allows sizes past the single-PUT limit up to the per-file limit and 5 TiB, as 413 beyond', () => {
      expect(thrown(() => quotaWith(1024 ** 4).assertMultipartSizeAllowed(MAX_SINGLE_PUT_BYTES + 1))).toBeUndefined();
      expect(thrown(() => quotaWith(1024 ** 4).assertMultipartSizeAllowed(1024 ** 4 + 1))).toMatchObject({ code: 'FILE_TOO_LARGE' });
      const overS3 = thrown(() => quotaWith(10 * 1024 ** 4).assertMultipartSizeAllowed(5 * 1024 ** 4 + 1));
      expect(overS3).toMatchObject({ code: 'FILE_TOO_LARGE' });
      expect(overS3?.message).toMatch(/5 TiB/);
    });
  });

  describe('storedSizeViolation', () => {
    it('flags objects over the declared size or the per-file limit', () => {
      const quota = quotaWith(100);
      expect(quota.storedSizeViolation(50, 50)).toBeUndefined();
      expect(quota.storedSizeViolation(49, 50)).toBeUndefined();
      expect(quota.storedSizeViolation(51, 50)).toMatch(/declared size/);
      expect(quota.storedSizeViolation(100, null)).toBeUndefined();
      expect(quota.storedSizeViolation(101, null)).toMatch(/per-file limit/);
    });
  });

  it('reports usage with the configured limits', async () => {
    const repository = strictMock<LedgerRepository>('ledger', { usage: jest.fn().mockResolvedValue({ usedBytes: 5, reservedBytes: 6, fileCount: 2 }) });
    expect(await quotaWith(100, repository).usage('u')).toEqual({
      usedBytes: 5,
      reservedBytes: 6,
      fileCount: 2,
      quotaBytes: 1000,
      maxFiles: 7,
      maxFileSizeBytes: 100,
    });
    // Past the single-PUT limit the multipart limit (5 TiB) is the ceiling reported.
    expect((await quotaWith(10 * 1024 ** 4, repository).usage('u')).maxFileSizeBytes).toBe(5 * 1024 ** 4);
    expect(repository.usage).toHaveBeenCalledWith('u');
  });
});
