import { Inject, Injectable, Logger } from '@nestjs/common';
import { abortMultipartUploads, type MultipartUploadInfo, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OBJECT_STORE } from '../storage/storage.module';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { FileObjects } from './file-objects';
import { FileRepository, isCompleting } from './file.repository';

/**
 * Aborts multipart uploads abandoned past the presign lifetime, found by listing storage (not
 * the database): an upload whose file is pending with that upload id stays while its expiry
 * (moved by every POST /api/files/parts) plus the upload grace has not passed or a completion
 * holds it; past it the file is failed (reservation released) and the upload aborted. An upload
 * no live file names (a crash between creating and recording it, a deleted file or account) is
 * aborted once it is older than the presign lifetime plus the grace.
 */
@Injectable()
export class MultipartSweeper {
  private readonly logger = new Logger(MultipartSweeper.name);

  constructor(
    private readonly files: FileRepository,
    private readonly objects: FileObjects,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async abortAbandoned(): Promise<number> {
    const now = this.clock.now();
    const unownedBefore = now.getTime() - this.config.ttl.presignSeconds * 1000 - UPLOAD_GRACE_MS;
    const aborted = await abortMultipartUploads(this.store, '', async (upload) => this.abandoned(upload, now, unownedBefore));
    if (aborted > 0) this.logger.warn(`aborted ${aborted} abandoned multipart uploads`);
    return aborted;
  }

  private async abandoned(upload: MultipartUploadInfo, now: Date, unownedBefore: number): Promise<boolean> {
    const [row] = await this.files.findByObjectKeys([upload.key]);
    if (row?.status === 'pending' && row.multipartUploadId === upload.uploadId) {
      if (isCompleting(row, now) || row.uploadExpiresAt.getTime() + UPLOAD_GRACE_MS > now.getTime()) return false;
      const ended = await this.files.endLife(row.userId, row.id, ['pending'], 'failed', now, { unlessCompletingAt: now });
      // remove() aborts the upload itself; nothing left for the listing's abort.
      if (ended) await this.objects.remove(ended);
      return false;
    }
    return upload.initiatedAt.getTime() < unownedBefore;
  }
}
