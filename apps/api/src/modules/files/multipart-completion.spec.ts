import { MultipartUploadError, type ObjectStore } from '@coffer/storage';
import type { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { LedgerRepository } from '../quota/ledger.repository';
import { QuotaService } from '../quota/quota.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { fileRecord } from '../../../../../test/helpers/file-record';
import type { FileObjects } from './file-objects';
import type { FileRepository } from './file.repository';
import { COMPLETION_LEASE_MS, MultipartCompletion } from './multipart-completion';

const NOW = new Date('2026-05-01T10:00:00Z');
const clock: Clock = { now: () => NOW };
const USER = '11111111-1111-4111-8111-111111111111';
const SIZE = 3 * 5_245_440;
const config = {
  limits: { maxFileSizeBytes: 1024 ** 4, userQuotaBytes: 10 * SIZE, globalQuotaBytes: 0, maxFilesPerUser: 5, dailyDownloadLimit: 3 },
  multipart: { thresholdBytes: 1, partFrames: 80, completeWaitMs: 20 },
} as AppConfig;
const file = {
  ...fileRecord(NOW, { id: 'f1', userId: USER, objectKey: 'usrh-x/f1' }),
  declaredSize: SIZE,
  reservedBytes: SIZE,
  multipartUploadId: 'up-1',
  partSize: 5_245_440,
  partCount: 3,
};
const input = {
  plaintextHash: '',
  plaintextSizeBytes: 1,
  passphraseSalt: '',
  parts: [1, 2, 3].map((partNumber) => ({ partNumber, etag: `"e${partNumber}"` })),
};
const stored = [1, 2, 3].map((partNumber) => ({ partNumber, size: 5_245_440, etag: `"e${partNumber}"` }));

function completion(files: jest.Mocked<FileRepository>, store: jest.Mocked<ObjectStore>, objects = strictMock<FileObjects>('objects')): MultipartCompletion {
  return new MultipartCompletion(files, new QuotaService(strictMock<LedgerRepository>('ledger'), config), objects, store, clock, config);
}

describe('MultipartCompletion', () => {
  it('answers "completing" while a slow join runs, joins it on the next request and records the file once', async () => {
    let finishJoin: () => void = () => undefined;
    const store = strictMock<ObjectStore>('store', {
      listParts: jest.fn().mockResolvedValue(stored),
      completeMultipartUpload: jest.fn().mockReturnValue(new Promise<void>((resolve) => (finishJoin = resolve))),
      head: jest.fn().mockResolvedValue({ size: SIZE }),
    });
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(true),
      completeUpload: jest.fn().mockResolvedValue('completed'),
      releaseCompletion: jest.fn().mockResolvedValue(undefined),
    });
    const service = completion(files, store);
    const check = jest.fn();

    expect(await service.run(USER, file, input, check)).toBe('completing');
    expect(files.claimCompletion).toHaveBeenCalledWith(USER, 'f1', NOW, new Date(NOW.getTime() + COMPLETION_LEASE_MS));
    expect(check).toHaveBeenCalledWith(stored);
    // The second request finds the join running in this process: no second claim, no second join.
    const second = service.run(USER, file, input, check);
    finishJoin();
    expect(await second).toEqual({ s3_object_key: 'usrh-x/f1', uploaded_file_size: SIZE });
    expect(files.claimCompletion).toHaveBeenCalledTimes(1);
    expect(store.completeMultipartUpload).toHaveBeenCalledTimes(1);
    expect(store.completeMultipartUpload).toHaveBeenCalledWith('usrh-x/f1', 'up-1', input.parts);
    expect(files.completeUpload).toHaveBeenCalledTimes(1);
    expect(files.completeUpload.mock.calls[0][0]).toMatchObject({ id: 'f1', userId: USER, sizeBytes: SIZE, plaintextSizeBytes: 1 });
  });

  it('answers "completing" when another server holds the completion', async () => {
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(false),
      findOwned: jest.fn().mockResolvedValue(file),
    });
    expect(await completion(files, strictMock('store')).run(USER, file, input, jest.fn())).toBe('completing');
  });

  it('refuses before the join when the check refuses, and gives the hold back', async () => {
    const store = strictMock<ObjectStore>('store', { listParts: jest.fn().mockResolvedValue(stored.slice(0, 2)) });
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(true),
      releaseCompletion: jest.fn().mockResolvedValue(undefined),
    });
    const refusal = new Error('missing part 3');
    await expect(
      completion(files, store).run(USER, file, input, () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(files.releaseCompletion).toHaveBeenCalledWith(USER, 'f1');
  });

  it('records a file whose earlier join finished but was never recorded (its server died)', async () => {
    const store = strictMock<ObjectStore>('store', {
      listParts: jest.fn().mockRejectedValue(new MultipartUploadError('NO_SUCH_UPLOAD', 'gone')),
      completeMultipartUpload: jest.fn().mockRejectedValue(new MultipartUploadError('NO_SUCH_UPLOAD', 'gone')),
      head: jest.fn().mockResolvedValue({ size: SIZE }),
    });
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(true),
      completeUpload: jest.fn().mockResolvedValue('completed'),
      releaseCompletion: jest.fn().mockResolvedValue(undefined),
    });
    const check = jest.fn();
    expect(await completion(files, store).run(USER, file, input, check)).toEqual({ s3_object_key: 'usrh-x/f1', uploaded_file_size: SIZE });
    expect(check).not.toHaveBeenCalled();
  });

  it('fails the file when neither the upload nor the object exists any more', async () => {
    const store = strictMock<ObjectStore>('store', {
      listParts: jest.fn().mockRejectedValue(new MultipartUploadError('NO_SUCH_UPLOAD', 'gone')),
      completeMultipartUpload: jest.fn().mockRejectedValue(new MultipartUploadError('NO_SUCH_UPLOAD', 'gone')),
      head: jest.fn().mockResolvedValue(undefined),
    });
    const ended = { id: 'f1', userId: USER, objectKey: 'usrh-x/f1', previousStatus: 'pending' as const, multipartUploadId: 'up-1' };
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(true),
      endLife: jest.fn().mockResolvedValue(ended),
      releaseCompletion: jest.fn().mockResolvedValue(undefined),
    });
    const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });
    await expect(completion(files, store, objects).run(USER, file, input, jest.fn())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(files.endLife).toHaveBeenCalledWith(USER, 'f1', ['pending'], 'failed', NOW, { failureCode: undefined });
    expect(objects.remove).toHaveBeenCalledWith(ended);
  });

  it('turns a storage refusal of the parts at the join into PART_MISMATCH and keeps the file pending', async () => {
    const store = strictMock<ObjectStore>('store', {
      listParts: jest.fn().mockResolvedValue(stored),
      completeMultipartUpload: jest.fn().mockRejectedValue(new MultipartUploadError('INVALID_PART', 'part 2 changed')),
    });
    const files = strictMock<FileRepository>('files', {
      claimCompletion: jest.fn().mockResolvedValue(true),
      releaseCompletion: jest.fn().mockResolvedValue(undefined),
    });
    await expect(completion(files, store).run(USER, file, input, jest.fn())).rejects.toMatchObject({ code: 'PART_MISMATCH' });
    expect(files.releaseCompletion).toHaveBeenCalledWith(USER, 'f1');
  });
});
