import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ObjectStore, StoredObject } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { OBJECT_STORE } from '../storage/storage.module';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository } from './file.repository';
import { MultipartSweeper } from './multipart-sweeper.service';

const BATCH_SIZE = 500;

export interface ReconcileResult {
  /** Objects the store listed. */
  listed: number;
  /** Objects with no live file (deleted or failed file, deleted account, unknown key), deleted. */
  orphansDeleted: number;
  /** Completed files whose object's size differs from the recorded one: failed, object deleted. */
  sizeMismatches: number;
  /** Completed files whose object is gone: failed. */
  missing: number;
  /** Multipart uploads abandoned or owned by no live file: aborted. */
  uploadsAborted: number;
}

/**
 * Makes storage agree with the database, whatever a URL did: S3 URLs cannot be revoked, so a PUT
 * through one can land after its file was deleted, failed or completed. Every change is a
 * conditional status transition through the ledger (usage stays right); objects written within the
 * upload grace are left to the upload flow and the other jobs.
 */
@Injectable()
export class FileReconciliationService {
  private readonly logger = new Logger(FileReconciliationService.name);

  constructor(
    private readonly files: FileRepository,
    private readonly objects: FileObjects,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly multipart: MultipartSweeper,
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const now = this.clock.now();
    const settledBefore = new Date(now.getTime() - UPLOAD_GRACE_MS);
    const result: ReconcileResult = { listed: 0, orphansDeleted: 0, sizeMismatches: 0, missing: 0, uploadsAborted: 0 };
    let batch: StoredObject[] = [];
    for await (const object of this.store.list('')) {
      batch.push(object);
      if (batch.length === BATCH_SIZE) {
        await this.reconcileObjects(batch, now, settledBefore, result);
        batch = [];
      }
    }
    await this.reconcileObjects(batch, now, settledBefore, result);
    await this.failMissing(now, settledBefore, result);
    result.uploadsAborted = await this.multipart.abortAbandoned();
    if (result.orphansDeleted + result.sizeMismatches + result.missing > 0) {
      this.logger.warn(
        `reconciliation: ${result.listed} objects listed, ${result.orphansDeleted} orphaned objects deleted, ` +
          `${result.sizeMismatches} files failed for a size mismatch, ${result.missing} files failed for a missing object`,
      );
    } else {
      this.logger.log(`reconciliation: ${result.listed} objects listed, storage agrees with the database`);
    }
    return result;
  }

  private async reconcileObjects(objects: StoredObject[], now: Date, settledBefore: Date, result: ReconcileResult): Promise<void> {
    result.listed += objects.length;
    const rows = new Map((await this.files.findByObjectKeys(objects.map((o) => o.key))).map((row) => [row.objectKey, row]));
    for (const object of objects) {
      const row = rows.get(object.key);
      if (row?.status === 'pending') continue;
      if (row?.status === 'uploaded') {
        if (object.size !== row.encryptedSizeBytes && (await this.failFile(row, now))) {
          this.logger.warn(`file ${row.id} failed: its object has ${object.size} bytes, ${row.encryptedSizeBytes} were completed`);
          result.sizeMismatches += 1;
        }
        continue;
      }
      if (object.lastModified.getTime() >= settledBefore.getTime()) continue;
      if (await this.deleteOrphan(object.key, row)) result.orphansDeleted += 1;
    }
  }

  /** HEADs completed files (completed before the grace, so a listing cannot have raced them). */
  private async failMissing(now: Date, settledBefore: Date, result: ReconcileResult): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.files.findCompletedBefore(settledBefore, after, BATCH_SIZE);
      for (const row of rows) {
        let object: { size: number } | undefined;
        try {
          object = await this.store.head(row.objectKey);
        } catch (err) {
          this.logger.warn(`reconciliation of file ${row.id} postponed: ${(err as Error).message}`);
          continue;
        }
        if (object === undefined && (await this.failFile(row, now))) {
          this.logger.warn(`file ${row.id} failed: its object is missing`);
          result.missing += 1;
        }
      }
      if (rows.length < BATCH_SIZE) return;
      after = rows[rows.length - 1].id;
    }
  }

  private async failFile(row: FileRecord, now: Date): Promise<boolean> {
    const ended = await this.files.endLife(row.userId, row.id, ['uploaded'], 'failed', now);
    if (!ended) return false;
    await this.objects.remove(ended);
    return true;
  }

  private async deleteOrphan(key: string, row: FileRecord | undefined): Promise<boolean> {
    if (row) return this.objects.remove(row);
    try {
      await this.store.delete(key);
      return true;
    } catch (err) {
      this.logger.warn(`orphaned object could not be deleted yet: ${(err as Error).message}`);
      return false;
    }
  }
}
