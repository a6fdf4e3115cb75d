import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileRepository } from './file.repository';

/**
 * Removes the stored object of a file that has already stopped being live. Usage was released
 * with the status change, so a storage failure here only delays the removal: the row keeps
 * `object_removed_at` empty and the retry job tries again.
 */
@Injectable()
export class FileObjects {
  private readonly logger = new Logger(FileObjects.name);

  constructor(
    private readonly files: FileRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** True when the object is gone (or was never there). */
  async remove(file: { id: string; userId: string; objectKey: string }): Promise<boolean> {
    try {
      await this.store.delete(file.objectKey);
    } catch (err) {
      this.logger.warn(`object of file ${file.id} could not be removed yet; it will be retried: ${(err as Error).message}`);
      return false;
    }
    await this.files.markObjectRemoved(file.userId, file.id, this.clock.now());
    return true;
  }
}
