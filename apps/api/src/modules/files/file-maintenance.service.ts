import { Inject, Injectable, Logger } from '@nestjs/common';
import { FsObjectStore, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository } from './file.repository';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';

export { UPLOAD_GRACE_MS };
/** How long failed and deleted rows are kept (failed uploads stay listed meanwhile). */
export const DEAD_ROW_RETENTION_MS = 24 * 60 * 60_000;
const BATCH_SIZE = 200;

export interface RecheckResult {
  verified: number;
  failed: number;
}

/**
 * The clean-up jobs behind the upload flow. Each is idempotent and safe to run concurrently with
 * requests (every change is a conditional status transition); `FilesScheduler` runs them on one
 * instance at a time.
 */
@Injectable()
export class FileMaintenanceService {
  private readonly logger = new Logger(FileMaintenanceService.name);

  constructor(
    private readonly files: FileRepository,
    private readonly objects: FileObjects,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** Fails uploads never completed before their URL expired (plus grace), releasing their reservation. */
  async expireStaleUploads(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - UPLOAD_GRACE_MS);
    let failed = 0;
    for await (const file of this.pages((after) => this.files.findStalePending(cutoff, after, BATCH_SIZE, now))) {
      // A running multipart completion renews its hold; the file is left to it.
      const ended = await this.files.endLife(file.userId, file.id, ['pending'], 'failed', now, { unlessCompletingAt: now });
      if (!ended) continue;
      failed += 1;
      await this.objects.remove(ended);
    }
    return failed;
  }

  /**
   * Re-reads the size of completed files once their upload URL can no longer be used: a PUT
   * through a URL that outlived complete must not grow (or replace) a file unnoticed. A file whose
   * object changed size or vanished is failed, its usage released and the object removed.
   */
  async recheckCompletedSizes(): Promise<RecheckResult> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - UPLOAD_GRACE_MS);
    const result: RecheckResult = { verified: 0, failed: 0 };
    for await (const file of this.pages((after) => this.files.findUnverified(cutoff, after, BATCH_SIZE))) {
      let object: { size: number } | undefined;
      try {
        object = await this.store.head(file.objectKey);
      } catch (err) {
        this.logger.warn(`size re-check of file ${file.id} postponed: ${(err as Error).message}`);
        continue;
      }
      if (object?.size === file.encryptedSizeBytes) {
        await this.files.markSizeVerified(file.userId, file.id, now);
        result.verified += 1;
        continue;
      }
      const ended = await this.files.endLife(file.userId, file.id, ['uploaded'], 'failed', now);
      if (!ended) continue;
      this.logger.warn(
        `file ${file.id} failed its size re-check (completed with ${file.encryptedSizeBytes} bytes, now ${object ? `${object.size} bytes` : 'missing'})`,
      );
      result.failed += 1;
      await this.objects.remove(ended);
    }
    return result;
  }

  /** Retries removing the objects of failed and deleted files that storage refused to delete earlier. */
  async retryObjectRemoval(): Promise<number> {
    let removed = 0;
    for await (const file of this.pages((after) => this.files.findUnremovedObjects(after, BATCH_SIZE))) {
      if (await this.objects.remove(file)) removed += 1;
    }
    return removed;
  }

  /**
   * Deletes failed and deleted rows after the retention period. The object is deleted once more
   * first: a PUT through a still-valid URL may have stored it again after the first removal.
   */
  async purgeDeadRows(): Promise<number> {
    const now = this.clock.now().getTime();
    const changedBefore = new Date(now - DEAD_ROW_RETENTION_MS);
    const uploadExpiredBefore = new Date(now - UPLOAD_GRACE_MS);
    let purged = 0;
    for await (const file of this.pages((after) => this.files.findPurgeable(changedBefore, uploadExpiredBefore, after, BATCH_SIZE))) {
      try {
        await this.store.delete(file.objectKey);
      } catch (err) {
        this.logger.warn(`purge of file ${file.id} postponed: ${(err as Error).message}`);
        continue;
      }
      if (await this.files.purge(file.userId, file.id)) purged += 1;
    }
    return purged;
  }

  /**
   * fs storage only: deletes the temporary files of uploads cut off by a crash or a kill, once
   * idle for the upload grace (a live upload writes at least every two minutes, the blob
   * endpoint's idle timeout). S3 keeps nothing of an unfinished single PUT.
   */
  async sweepInterruptedUploads(): Promise<number> {
    if (!(this.store instanceof FsObjectStore)) return 0;
    const deleted = await this.store.sweepStaleTempFiles(UPLOAD_GRACE_MS);
    if (deleted > 0) this.logger.log(`deleted ${deleted} temporary files of interrupted uploads`);
    return deleted;
  }

  /** Every row of a keyset-paginated query; rows a step leaves in place are not visited twice. */
  private async *pages(page: (after: string | undefined) => Promise<FileRecord[]>): AsyncGenerator<FileRecord> {
    let after: string | undefined;
    for (;;) {
      const rows = await page(after);
      yield* rows;
      if (rows.length < BATCH_SIZE) return;
      after = rows[rows.length - 1].id;
    }
  }
}
