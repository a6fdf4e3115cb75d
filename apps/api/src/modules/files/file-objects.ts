import { Inject, Injectable, Logger } from '@nestjs/common';
import { MultipartUploadError, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileRepository } from './file.repository';

/**
 * Removes the stored object of a file that has already stopped being live, and aborts its
 * multipart upload if it had one (its parts are deleted). Usage was released with the status
 * change, so a storage failure here only delays the removal: the row keeps `object_removed_at`
 * empty and the retry job tries again.
 */
@Injectable()
export class FileObjects {
  private readonly logger = new Logger(FileObjects.name);

  constructor(
    private readonly files: FileRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** True when the object is gone (or was never there) and so is the upload. */
  async remove(file: { id: string; userId: string; objectKey: string; multipartUploadId?: string | null }): Promise<boolean> {
    try {
      if (file.multipartUploadId) await abortIgnoringGone(this.store, file.objectKey, file.multipartUploadId);
      await this.store.delete(file.objectKey);
    } catch (err) {
      this.logger.warn(`object of file ${file.id} could not be removed yet; it will be retried: ${(err as Error).message}`);
      return false;
    }
    await this.files.markObjectRemoved(file.userId, file.id, this.clock.now());
    return true;
  }
}

/** Aborts a multipart upload; one that no longer exists (completed or aborted) is as good as aborted. */
export async function abortIgnoringGone(store: ObjectStore, key: string, uploadId: string): Promise<boolean> {
  try {
    await store.abortMultipartUpload(key, uploadId);
    return true;
  } catch (err) {
    if (err instanceof MultipartUploadError && err.code === 'NO_SUCH_UPLOAD') return false;
    throw err;
  }
}
