import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { FsObjectStore, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { FileObjects } from './file-objects';
import { DEAD_ROW_RETENTION_MS, FileMaintenanceService, UPLOAD_GRACE_MS } from './file-maintenance.service';
import { FileRecord, FileRepository } from './file.repository';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { fileRecord } from '../../../../../test/helpers/file-record';

const NOW = new Date('2026-05-01T10:00:00.000Z');
const clock: Clock = { now: () => NOW };
const USER = '11111111-1111-4111-8111-111111111111';

/** An uploaded file whose upload URL expired long ago: what the clean-up jobs look at. */
function file(id: string, over: Partial<FileRecord> = {}): FileRecord {
  return fileRecord(NOW, {
    id,
    userId: USER,
    objectKey: `usrh-0/${id}`,
    status: 'uploaded',
    encryptedSizeBytes: 100,
    plaintextSizeBytes: 68,
    keyManagementMode: 'vault',
    uploadExpiresAt: new Date(NOW.getTime() - 2 * UPLOAD_GRACE_MS),
    completedAt: NOW,
    ...over,
  });
}

const ended = (f: FileRecord, previousStatus: FileRecord['status']) => ({ id: f.id, userId: f.userId, objectKey: f.objectKey, previousStatus });

describe('FileMaintenanceService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('expireStaleUploads', () => {
    it('fails pending uploads past their URL expiry plus grace and removes their objects', async () => {
      const stale = [file('a', { status: 'pending' }), file('b', { status: 'pending' })];
      const files = strictMock<FileRepository>('files', {
        findStalePending: jest.fn().mockResolvedValue(stale),
        // 'b' was completed (or deleted) by a request in the meantime.
        endLife: jest.fn().mockResolvedValueOnce(ended(stale[0], 'pending')).mockResolvedValueOnce(undefined),
      });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });

      const failed = await new FileMaintenanceService(files, objects, strictMock('store'), clock).expireStaleUploads();

      expect(failed).toBe(1);
      expect(files.findStalePending).toHaveBeenCalledWith(new Date(NOW.getTime() - UPLOAD_GRACE_MS), undefined, 200, NOW);
      expect(files.endLife).toHaveBeenCalledWith(USER, 'a', ['pending'], 'failed', NOW, { unlessCompletingAt: NOW });
      expect(objects.remove).toHaveBeenCalledTimes(1);
      expect(objects.remove).toHaveBeenCalledWith(ended(stale[0], 'pending'));
    });

    it('walks every page by id', async () => {
      const firstPage = Array.from({ length: 200 }, (_, i) => file(`id-${String(i).padStart(3, '0')}`, { status: 'pending' }));
      const files = strictMock<FileRepository>('files', {
        findStalePending: jest.fn().mockResolvedValueOnce(firstPage).mockResolvedValueOnce([]),
        endLife: jest.fn().mockResolvedValue(undefined),
      });

      await new FileMaintenanceService(files, strictMock('objects'), strictMock('store'), clock).expireStaleUploads();

      expect(files.findStalePending).toHaveBeenCalledTimes(2);
      expect(files.findStalePending.mock.calls[1][1]).toBe('id-199');
    });
  });

  describe('recheckCompletedSizes', () => {
    it('marks unchanged files verified and fails files whose object changed or vanished', async () => {
      const [same, grown, gone, unreachable] = [file('same'), file('grown'), file('gone'), file('unreachable')];
      const files = strictMock<FileRepository>('files', {
        findUnverified: jest.fn().mockResolvedValue([same, grown, gone, unreachable]),
        markSizeVerified: jest.fn().mockResolvedValue(undefined),
        endLife: jest.fn().mockImplementation(async (_u: string, id: string) => ended(file(id), 'uploaded')),
      });
      const sizes: Record<string, { size: number } | undefined | Error> = {
        [same.objectKey]: { size: 100 },
        [grown.objectKey]: { size: 101 },
        [gone.objectKey]: undefined,
        [unreachable.objectKey]: new Error('timeout'),
      };
      const store = strictMock<ObjectStore>('store', {
        head: jest.fn().mockImplementation(async (key: string) => {
          const v = sizes[key];
          if (v instanceof Error) throw v;
          return v;
        }),
      });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValue(true) });

      const result = await new FileMaintenanceService(files, objects, store, clock).recheckCompletedSizes();

      expect(result).toEqual({ verified: 1, failed: 2 });
      expect(files.findUnverified).toHaveBeenCalledWith(new Date(NOW.getTime() - UPLOAD_GRACE_MS), undefined, 200);
      expect(files.markSizeVerified).toHaveBeenCalledWith(USER, 'same', NOW);
      expect(files.endLife.mock.calls.map((c) => [c[1], c[2], c[3]])).toEqual([
        ['grown', ['uploaded'], 'failed'],
        ['gone', ['uploaded'], 'failed'],
      ]);
      expect(objects.remove.mock.calls.map((c) => c[0].id)).toEqual(['grown', 'gone']);
    });
  });

  describe('retryObjectRemoval', () => {
    it('retries every failed or deleted file whose object is not confirmed gone', async () => {
      const rows = [file('a', { status: 'deleted' }), file('b', { status: 'failed' })];
      const files = strictMock<FileRepository>('files', { findUnremovedObjects: jest.fn().mockResolvedValue(rows) });
      const objects = strictMock<FileObjects>('objects', { remove: jest.fn().mockResolvedValueOnce(true).mockResolvedValueOnce(false) });

      expect(await new FileMaintenanceService(files, objects, strictMock('store'), clock).retryObjectRemoval()).toBe(1);
      expect(objects.remove).toHaveBeenCalledTimes(2);
    });
  });

  describe('purgeDeadRows', () => {
    it('deletes the object once more, then the row; a storage failure postpones that row', async () => {
      const rows = [file('a', { status: 'deleted' }), file('b', { status: 'failed' })];
      const files = strictMock<FileRepository>('files', {
        findPurgeable: jest.fn().mockResolvedValue(rows),
        purge: jest.fn().mockResolvedValue(true),
      });
      const store = strictMock<ObjectStore>('store', {
        delete: jest.fn().mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('down')),
      });

      const purged = await new FileMaintenanceService(files, strictMock('objects'), store, clock).purgeDeadRows();

      expect(purged).toBe(1);
      expect(files.findPurgeable).toHaveBeenCalledWith(
        new Date(NOW.getTime() - DEAD_ROW_RETENTION_MS),
        new Date(NOW.getTime() - UPLOAD_GRACE_MS),
        undefined,
        200,
      );
      expect(files.purge).toHaveBeenCalledWith(USER, 'a');
      expect(files.purge).toHaveBeenCalledTimes(1);
    });
  });

  describe('sweepInterruptedUploads', () => {
    it('does nothing on S3 storage', async () => {
      const service = new FileMaintenanceService(strictMock('files'), strictMock('objects'), strictMock<ObjectStore>('store'), clock);

      expect(await service.sweepInterruptedUploads()).toBe(0);
    });

    it('deletes fs temporary files idle for longer than the upload grace', async () => {
      const root = await mkdtemp(join(tmpdir(), 'coffer-sweep-'));
      try {
        const store = new FsObjectStore({ root, publicBaseUrl: 'http://127.0.0.1:1', secret: randomBytes(32) });
        const suffix = () => `~${randomBytes(8).toString('hex')}.part`;
        const [stale, live] = [`a${suffix()}`, `b${suffix()}`];
        for (const [name, ageMs] of [[stale, UPLOAD_GRACE_MS + 60_000], [live, 60_000]] as const) {
          await writeFile(join(root, name), 'x');
          const then = new Date(Date.now() - ageMs);
          await utimes(join(root, name), then, then);
        }

        const deleted = await new FileMaintenanceService(strictMock('files'), strictMock('objects'), store, clock).sweepInterruptedUploads();

        expect(deleted).toBe(1);
        expect(await readdir(root)).toEqual([live]);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  });
});
