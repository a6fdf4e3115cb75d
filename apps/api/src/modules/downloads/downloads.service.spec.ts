import type { ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { FileRecord, FileRepository } from '../files/file.repository';
import { DownloadCounterRepository } from './download-counter.repository';
import { DownloadSessionRepository } from './download-session.repository';
import { DownloadsService } from './downloads.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { domainError } from '../../../../../test/helpers/domain-error';

const NOW = new Date('2026-05-01T23:59:30.250Z');
const clock: Clock = { now: () => NOW };
const HASH = `usrh-${'a'.repeat(32)}`;
const FILE_ID = '2222abcd-2222-4222-8222-22222222cdef';
const config = { limits: { dailyDownloadLimit: 3 }, ttl: { downloadUrlSeconds: 120 } } as AppConfig;

const shared = {
  id: FILE_ID,
  objectKey: `${HASH}/${FILE_ID}`,
  fileName: 'r.pdf',
  status: 'uploaded',
  keyManagementMode: 'passphrase',
  passphraseSalt: 'c2FsdA==',
  kdfParams: { alg: 'argon2id', m: 65536, t: 3, p: 1 },
  keyCommitment: null,
  encryptedSizeBytes: 100,
  plaintextHash: '',
} as FileRecord;

function service(files: jest.Mocked<FileRepository>, counters: jest.Mocked<DownloadCounterRepository> = strictMock('counters'), store: jest.Mocked<ObjectStore> = strictMock('store')) {
  return new DownloadsService(files, counters, store, clock, config, strictMock('sessions'));
}

describe('DownloadsService', () => {
  it('counts the download, then signs a short-lived GET of that file only', async () => {
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    const counters = strictMock<DownloadCounterRepository>('counters', { countOne: jest.fn().mockResolvedValue(1) });
    const store = strictMock<ObjectStore>('store', { presignGet: jest.fn().mockResolvedValue({ url: 'https://signed' }) });

    expect(await service(files, counters, store).downloadUrl(HASH, FILE_ID)).toBe('https://signed');

    expect(files.findUploadedByObjectKey).toHaveBeenCalledWith(FILE_ID, `${HASH}/${FILE_ID}`);
    expect(counters.countOne).toHaveBeenCalledWith(FILE_ID, '2026-05-01', 3);
    expect(store.presignGet).toHaveBeenCalledWith(`${HASH}/${FILE_ID}`, { expiresInSec: 120, filename: 'r.pdf' });
  });

  it('answers 429 with Retry-After until UTC midnight once the limit is used up', async () => {
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    const counters = strictMock<DownloadCounterRepository>('counters', {
      countOne: jest.fn().mockResolvedValue(undefined),
      countOn: jest.fn().mockResolvedValue(3),
    });

    const err = await domainError(service(files, counters).downloadUrl(HASH, FILE_ID));

    expect(err.code).toBe('DOWNLOAD_LIMIT');
    expect(err.retryAfterSeconds).toBe(30);
  });

  it('answers 404 when nothing was counted because the file stopped being uploaded', async () => {
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    const counters = strictMock<DownloadCounterRepository>('counters', {
      countOne: jest.fn().mockResolvedValue(undefined),
      countOn: jest.fn().mockResolvedValue(0),
    });
    expect((await domainError(service(files, counters).downloadUrl(HASH, FILE_ID))).code).toBe('NOT_FOUND');
  });

  it.each([
    ['usrh-short', FILE_ID],
    [`usrh-${'A'.repeat(32)}`, FILE_ID],
    [HASH, FILE_ID.toUpperCase()],
    [HASH, '%'],
    ['..', FILE_ID],
  ])('answers 404 for a malformed link %s/%s without a lookup', async (hash, id) => {
    expect((await domainError(service(strictMock('files')).downloadUrl(hash, id))).code).toBe('NOT_FOUND');
    expect((await domainError(service(strictMock('files')).meta(hash, id))).code).toBe('NOT_FOUND');
  });

  it('checks a link without counting or signing', async () => {
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    const counters = strictMock<DownloadCounterRepository>('counters', { countOn: jest.fn().mockResolvedValueOnce(2).mockResolvedValueOnce(3) });
    const s = service(files, counters);

    await expect(s.checkLink(HASH, FILE_ID)).resolves.toBeUndefined();
    expect((await domainError(s.checkLink(HASH, FILE_ID))).code).toBe('DOWNLOAD_LIMIT');
  });

  it('gives a recipient what decryption needs', async () => {
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    expect(await service(files).meta(HASH, FILE_ID)).toEqual({
      file_name: 'r.pdf',
      key_management_mode: 'passphrase',
      passphrase_salt: 'c2FsdA==',
      kdf_params: { alg: 'argon2id', m: 65536, t: 3, p: 1 },
      key_commitment: null,
      encrypted_size_bytes: 100,
      plaintext_hash: '',
    });
  });

  it('prunes counters older than the retention', async () => {
    const counters = strictMock<DownloadCounterRepository>('counters', { pruneBefore: jest.fn().mockResolvedValue(4) });
    expect(await service(strictMock('files'), counters).pruneCounters()).toBe(4);
    expect(counters.pruneBefore).toHaveBeenCalledWith('2026-04-28');
  });
  it('signs a session URL that ends before the session, also where the storage rounds its expiry to whole seconds', async () => {
    // NOW is at .250 s; the session ends 10.1 s later at .350 s; the fs driver's expiry is the
    // whole second of its clock plus the lifetime asked for.
    const sessionEnd = new Date(NOW.getTime() + 10_100);
    const files = strictMock<FileRepository>('files', { findUploadedByObjectKey: jest.fn().mockResolvedValue(shared) });
    const sessions = strictMock<DownloadSessionRepository>('sessions', { findByTokenHash: jest.fn().mockResolvedValue({ fileId: FILE_ID, expiresAt: sessionEnd }) });
    const store = strictMock<ObjectStore>('store', {
      presignGet: jest.fn().mockImplementation(async (_key: string, options: { expiresInSec: number }) => ({
        url: 'https://signed',
        expiresAt: new Date((Math.floor(NOW.getTime() / 1000) + options.expiresInSec) * 1000),
      })),
    });
    const answer = await new DownloadsService(files, strictMock('counters'), store, clock, config, sessions).sessionUrl(HASH, FILE_ID, 'token');

    expect(Date.parse(answer.url_expires_at)).toBeLessThanOrEqual(sessionEnd.getTime());
    expect(answer.expires_at).toBe(sessionEnd.toISOString());
  });
});
