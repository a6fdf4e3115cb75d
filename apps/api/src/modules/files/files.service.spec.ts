import { Logger } from '@nestjs/common';
import { ownerHash, type ObjectStore, type PresignedRequest } from '@coffer/storage';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { LedgerRepository } from '../quota/ledger.repository';
import { QuotaService } from '../quota/quota.service';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository } from './file.repository';
import { FilesService } from './files.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { MultipartUploadsService } from './multipart-uploads.service';
import { domainError } from '../../../../../test/helpers/domain-error';
import { fileRecord as baseFileRecord } from '../../../../../test/helpers/file-record';

const NOW = new Date('2026-05-01T10:00:00.000Z');
const USER = '11111111-1111-4111-8111-111111111111';
const FILE_ID = '22222222-2222-4222-8222-222222222222';
const SECRET = 'user-id-hash-secret-of-at-least-32-chars';
const KEY = `${ownerHash(SECRET, USER)}/${FILE_ID}`;

const config = {
  secrets: { userIdHash: SECRET },
  limits: { maxFileSizeBytes: 1000, userQuotaBytes: 10_000, globalQuotaBytes: 0, maxFilesPerUser: 5, dailyDownloadLimit: 3 },
  ttl: { presignSeconds: 900, downloadUrlSeconds: 120 },
} as AppConfig;

const clock: Clock = { now: () => NOW };

function fileRecord(over: Partial<FileRecord> = {}): FileRecord {
  return baseFileRecord(NOW, { id: FILE_ID, userId: USER, fileName: 'a.bin', objectKey: KEY, declaredSize: 100, reservedBytes: 100, ...over });
}

const upload: PresignedRequest = {
  url: 'https://storage.example/put',
  method: 'PUT',
  headers: { 'Content-Type': 'application/octet-stream' },
  expiresAt: new Date('2026-05-01T10:15:00.500Z'),
};

const completeInput = { fileId: FILE_ID, plaintextHash: '', plaintextSizeBytes: 68, passphraseSalt: '' };
const NO_SEALED_FIELDS = { sealed_key: null, encrypted_metadata: null, nonce_prefix: null };

function service(files: jest.Mocked<FileRepository>, store: jest.Mocked<ObjectStore> = strictMock('store'), objects: jest.Mocked<FileObjects> = strictMock('objects')) {
  return new FilesService(files, new QuotaService(strictMock<LedgerRepository>('ledger'), config), objects, store, clock, config, strictMock<MultipartUploadsService>('multipart', { wants: jest.fn().mockReturnValue(false) }));
}

describe('FilesService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('presign', () => {
    it("reserves the declared size under the owner's prefix and signs that exact length", async () => {
      const files = strictMock<FileRepository>('files', { createPending: jest.fn().mockResolvedValue('created') });
      const store = strictMock<ObjectStore>('store', { presignPut: jest.fn().mockResolvedValue(upload) });

      const res = await service(files, store).presign(USER, { fileName: 'a.bin', mimeType: 'x/y', size: 100 });

      const [pending, limits] = files.createPending.mock.calls[0];
      expect(pending).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: USER,
        fileName: 'a.bin',
        mimeType: 'x/y',
        objectKey: `${ownerHash(SECRET, USER)}/${pending.id}`,
        declaredSize: 100,
        uploadExpiresAt: new Date(NOW.getTime() + 900_000),
        now: NOW,
      });
      expect(limits).toEqual({ user: { quotaBytes: 10_000, maxFiles: 5 }, globalQuotaBytes: 0 });
      expect(store.presignPut).toHaveBeenCalledWith(pending.objectKey, { contentLength: 100, expiresInSec: 900 });
      expect(res).toEqual({
        file_id: pending.id,
        upload_resource: { url: upload.url, method: 'PUT', headers: upload.headers, expires_at: '2026-05-01T10:15:00Z' },
      });
    });

    it('reserves nothing and signs no length when no size is declared', async () => {
      const files = strictMock<FileRepository>('files', { createPending: jest.fn().mockResolvedValue('created') });
      const store = strictMock<ObjectStore>('store', { presignPut: jest.fn().mockResolvedValue(upload) });

      await service(files, store).presign(USER, { fileName: 'a', mimeType: '' });

      expect(files.createPending.mock.calls[0][0].declaredSize).toBeUndefined();
      expect(store.presignPut.mock.calls[0][1]).toEqual({ contentLength: undefined, expiresInSec: 900 });
    });

    it('refuses a declared size over the per-file limit before reserving anything', async () => {
      const err = await domainError(service(strictMock('files')).presign(USER, { fileName: 'a', mimeType: '', size: 1001 }));
      expect(err.code).toBe('FILE_TOO_LARGE');
    });

    it.each([
      ['file-count', 'FILE_COUNT_LIMIT'],
      ['over-quota', 'QUOTA_EXCEEDED'],
      ['storage-full', 'STORAGE_FULL'],
    ])('turns a %s refusal into %s', async (outcome, code) => {
      const files = strictMock<FileRepository>('files', { createPending: jest.fn().mockResolvedValue(outcome) });
      const store = strictMock<ObjectStore>('store', { presignPut: jest.fn().mockResolvedValue(upload) });

      const err = await domainError(service(files, store).presign(USER, { fileName: 'a', mimeType: '', size: 1 }));

      expect(err.code).toBe(code);
    });
  });

  describe('complete', () => {
    it('answers 404 unless the file is the caller\'s pending or uploaded file', async () => {
      for (const found of [undefined, fileRecord({ status: 'failed' })]) {
        const files = strictMock<FileRepository>('files', { findOwned: jest.fn().mockResolvedValue(found) });
        expect((await domainError(service(files).complete(USER, completeInput))).code).toBe('NOT_FOUND');
        expect(files.findOwned).toHaveBeenCalledWith(USER, FILE_ID);
      }
    });

    it('returns the recorded answer for an uploaded file without looking at storage', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValue(fileRecord({ status: 'uploaded', encryptedSizeBytes: 99 })),
      });
      expect(await service(files).complete(USER, completeInput)).toEqual({ s3_object_key: KEY, uploaded_file_size: 99 });
    });

    it('answers 409 and changes nothing while the object is missing', async () => {
      const files = strictMock<FileRepository>('files', { findOwned: jest.fn().mockResolvedValue(fileRecord()) });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue(undefined) });

      const err = await domainError(service(files, store).complete(USER, completeInput));

      expect(err.code).toBe('UPLOAD_INCOMPLETE');
    });

    it('answers 503 and changes nothing when storage cannot be reached', async () => {
      const files = strictMock<FileRepository>('files', { findOwned: jest.fn().mockResolvedValue(fileRecord()) });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockRejectedValue(new Error('ECONNREFUSED')) });

      const err = await domainError(service(files, store).complete(USER, completeInput));

      expect(err.code).toBe('SERVICE_UNAVAILABLE');
    });

    it('fails the file and removes an object larger than declared (413)', async () => {
      const ended = { id: FILE_ID, userId: USER, objectKey: KEY, previousStatus: 'pending' as const };
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValue(fileRecord()),
        endLife: jest.fn().mockResolvedValue(ended),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 101 }) });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });

      const err = await domainError(service(files, store, objects).complete(USER, completeInput));

      expect(err.code).toBe('FILE_TOO_LARGE');
      expect(files.endLife).toHaveBeenCalledWith(USER, FILE_ID, ['pending'], 'failed', NOW);
      expect(objects.remove).toHaveBeenCalledWith(ended);
    });

    it('leaves the object alone when another request changed the file first', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValue(fileRecord({ declaredSize: null, reservedBytes: 0 })),
        endLife: jest.fn().mockResolvedValue(undefined),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 1001 }) });

      expect((await domainError(service(files, store).complete(USER, completeInput))).code).toBe('FILE_TOO_LARGE');
    });

    it('records the verified size and the client metadata, in passphrase mode when a salt is given', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValue(fileRecord()),
        completeUpload: jest.fn().mockResolvedValue('completed'),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 100 }) });
      const kdf = { alg: 'argon2id' as const, m: 65536, t: 3, p: 1 };

      const sealed = { sealedKey: 'sealed', encryptedMetadata: 'bWV0YQ==', noncePrefix: '01'.repeat(7) };
      const res = await service(files, store).complete(USER, { ...completeInput, passphraseSalt: 'c2FsdA==', keyCommitment: 'Y29tbWl0', kdfParams: kdf, ...sealed });

      expect(res).toEqual({ s3_object_key: KEY, uploaded_file_size: 100 });
      expect(files.completeUpload).toHaveBeenCalledWith(
        {
          id: FILE_ID,
          userId: USER,
          sizeBytes: 100,
          plaintextSizeBytes: 68,
          plaintextHash: '',
          passphraseSalt: 'c2FsdA==',
          keyManagementMode: 'passphrase',
          keyCommitment: 'Y29tbWl0',
          kdfParams: kdf,
          ...sealed,
          now: NOW,
        },
        { user: { quotaBytes: 10_000, maxFiles: 5 }, globalQuotaBytes: 0 },
      );
    });

    it('answers like the winner when a concurrent complete got there first', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest
          .fn()
          .mockResolvedValueOnce(fileRecord())
          .mockResolvedValueOnce(fileRecord({ status: 'uploaded', encryptedSizeBytes: 100 })),
        completeUpload: jest.fn().mockResolvedValue('not-pending'),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 100 }) });

      expect(await service(files, store).complete(USER, completeInput)).toEqual({ s3_object_key: KEY, uploaded_file_size: 100 });
    });

    it('answers 404 when a clean-up failed the file in the meantime', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValueOnce(fileRecord()).mockResolvedValueOnce(fileRecord({ status: 'failed' })),
        completeUpload: jest.fn().mockResolvedValue('not-pending'),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 100 }) });

      expect((await domainError(service(files, store).complete(USER, completeInput))).code).toBe('NOT_FOUND');
    });

    it.each(['over-quota', 'storage-full'])('discards an upload that does not fit (%s) with 413', async (outcome) => {
      const ended = { id: FILE_ID, userId: USER, objectKey: KEY, previousStatus: 'pending' as const };
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValue(fileRecord({ declaredSize: null, reservedBytes: 0 })),
        completeUpload: jest.fn().mockResolvedValue(outcome),
        endLife: jest.fn().mockResolvedValue(ended),
      });
      const store = strictMock<ObjectStore>('store', { head: jest.fn().mockResolvedValue({ size: 500 }) });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });

      const err = await domainError(service(files, store, objects).complete(USER, completeInput));

      expect(err.code).toBe('UPLOAD_OVER_QUOTA');
      expect(objects.remove).toHaveBeenCalledWith(ended);
    });
  });

  describe('lookups', () => {
    it('maps listings without exposing internal columns, sizes 0 and mode null until completed', async () => {
      const files = strictMock<FileRepository>('files', {
        listVisible: jest.fn().mockResolvedValue([
          fileRecord({ status: 'uploaded', encryptedSizeBytes: 100, keyManagementMode: 'vault', createdAt: new Date('2026-01-01T00:00:00.123Z') }),
          fileRecord({ id: 'other' }),
        ]),
      });

      expect(await service(files).list(USER)).toEqual([
        { file_id: FILE_ID, file_name: 'a.bin', encrypted_size_bytes: 100, status: 'uploaded', key_management_mode: 'vault', created_at: '2026-01-01T00:00:00Z', ...NO_SEALED_FIELDS },
        { file_id: 'other', file_name: 'a.bin', encrypted_size_bytes: 0, status: 'pending', key_management_mode: null, created_at: '2026-05-01T10:00:00Z', ...NO_SEALED_FIELDS },
      ]);
      expect(files.listVisible).toHaveBeenCalledWith(USER);
    });

    it('answers the account-key fields of a file that has them', async () => {
      const fields = { sealedKey: 'AQ', encryptedMetadata: 'bWV0YQ==', noncePrefix: 'ab'.repeat(7) };
      const files = strictMock<FileRepository>('files', {
        listVisible: jest.fn().mockResolvedValue([fileRecord({ status: 'uploaded', ...fields })]),
        findVisibleByPrefix: jest.fn().mockResolvedValue([fileRecord({ status: 'uploaded', ...fields })]),
      });
      const wire = { sealed_key: 'AQ', encrypted_metadata: 'bWV0YQ==', nonce_prefix: 'ab'.repeat(7) };
      expect((await service(files).list(USER))[0]).toMatchObject(wire);
      expect((await service(files).details(USER, 'ab'))[0]).toMatchObject(wire);
    });

    it('answers 404 when no file matches a prefix', async () => {
      const files = strictMock<FileRepository>('files', { findVisibleByPrefix: jest.fn().mockResolvedValue([]) });
      expect((await domainError(service(files).resolve(USER, 'ab'))).code).toBe('NOT_FOUND');
      expect((await domainError(service(files).details(USER, 'ab'))).code).toBe('NOT_FOUND');
      expect(files.findVisibleByPrefix).toHaveBeenCalledWith(USER, 'ab');
    });

    it('answers the salt of passphrase-mode files only', async () => {
      const passphrase = fileRecord({ status: 'uploaded', keyManagementMode: 'passphrase', passphraseSalt: 'c2FsdA==' });
      const vault = fileRecord({ status: 'uploaded', keyManagementMode: 'vault' });
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValueOnce(passphrase).mockResolvedValueOnce(vault).mockResolvedValueOnce(fileRecord()),
      });
      const s = service(files);

      expect(await s.salt(USER, FILE_ID)).toEqual({ salt: 'c2FsdA==' });
      expect((await domainError(s.salt(USER, FILE_ID))).code).toBe('NOT_FOUND');
      expect((await domainError(s.salt(USER, FILE_ID))).code).toBe('NOT_FOUND');
    });

    it('answers the hash of uploaded files only', async () => {
      const files = strictMock<FileRepository>('files', {
        findOwned: jest.fn().mockResolvedValueOnce(fileRecord({ status: 'uploaded', plaintextHash: 'ab'.repeat(32) })).mockResolvedValueOnce(fileRecord()),
      });
      expect(await service(files).hash(USER, FILE_ID)).toEqual({ hash: 'ab'.repeat(32) });
      expect((await domainError(service(files).hash(USER, FILE_ID))).code).toBe('NOT_FOUND');
    });
  });

  describe('remove', () => {
    it('deletes the one matching file, then its object', async () => {
      const ended = { id: FILE_ID, userId: USER, objectKey: KEY, previousStatus: 'uploaded' as const };
      const files = strictMock<FileRepository>('files', {
        findVisibleByPrefix: jest.fn().mockResolvedValue([fileRecord({ status: 'uploaded' })]),
        endLife: jest.fn().mockResolvedValue(ended),
      });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });

      await service(files, strictMock<ObjectStore>('store'), objects).remove(USER, '2222');

      expect(files.endLife).toHaveBeenCalledWith(USER, FILE_ID, ['pending', 'uploaded', 'failed'], 'deleted', NOW);
      expect(objects.remove).toHaveBeenCalledWith(ended);
    });

    it('refuses an ambiguous prefix with 409 and deletes nothing', async () => {
      const files = strictMock<FileRepository>('files', {
        findVisibleByPrefix: jest.fn().mockResolvedValue([fileRecord(), fileRecord({ id: '2222aaaa-0000-4000-8000-000000000000' })]),
      });
      const err = await domainError(service(files).remove(USER, '2222'));
      expect(err.code).toBe('AMBIGUOUS_ID');
    });

    it('answers 404 when the file was deleted concurrently', async () => {
      const files = strictMock<FileRepository>('files', {
        findVisibleByPrefix: jest.fn().mockResolvedValue([fileRecord()]),
        endLife: jest.fn().mockResolvedValue(undefined),
      });
      expect((await domainError(service(files).remove(USER, '2222'))).code).toBe('NOT_FOUND');
    });
  });

  describe('setSealedKey', () => {
    it.each([
      ['stored', undefined],
      ['same', undefined],
      ['different', 'KEY_MISMATCH'],
      ['not-found', 'NOT_FOUND'],
    ] as const)('answers the outcome %s with %s', async (outcome, code) => {
      const files = strictMock<FileRepository>('files', { setSealedKey: jest.fn().mockResolvedValue(outcome) });
      const call = service(files).setSealedKey(USER, FILE_ID, 'sealed');
      if (code) expect((await domainError(call)).code).toBe(code);
      else await expect(call).resolves.toBeUndefined();
      expect(files.setSealedKey).toHaveBeenCalledWith(USER, FILE_ID, 'sealed', NOW);
    });
  });
});
