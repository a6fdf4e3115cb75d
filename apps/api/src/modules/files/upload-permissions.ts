import { Inject, Injectable } from '@nestjs/common';
import type { UploadPartTarget, UploadPermission } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { FileRepository, isCompleting } from './file.repository';
import { partSizeOf } from './multipart-plan';

/**
 * The fs driver's question "may this key still be uploaded to, and how much?", asked when a PUT
 * arrives and again before its body replaces the key. Only a pending file (its account alive:
 * deleting an account deletes its rows) within its URL's lifetime takes an upload; a completed
 * object is final. The limit is the declared size, or the per-file limit when none was declared.
 * A part PUT needs the file's own multipart upload, a part number of its plan and no completion
 * running; it may carry exactly that part's size. A multipart file takes no whole-object PUT.
 */
@Injectable()
export class UploadPermissions {
  constructor(
    private readonly files: FileRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(objectKey: string, part?: UploadPartTarget): Promise<UploadPermission> {
    const file = await this.files.findPendingByObjectKey(objectKey);
    const now = this.clock.now();
    if (!file || file.uploadExpiresAt.getTime() <= now.getTime()) return undefined;
    if (part === undefined) {
      if (file.partCount !== null) return undefined;
      return { maxBytes: file.declaredSize ?? this.config.limits.maxFileSizeBytes };
    }
    const { partSize, partCount, declaredSize } = file;
    if (file.multipartUploadId !== part.uploadId || partSize === null || partCount === null || declaredSize === null) return undefined;
    if (part.partNumber > partCount || isCompleting(file, now)) return undefined;
    return { maxBytes: partSizeOf({ partSize, partCount, declaredSize }, part.partNumber) };
  }
}
