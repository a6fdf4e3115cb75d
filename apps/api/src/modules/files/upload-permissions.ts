import { Inject, Injectable } from '@nestjs/common';
import type { UploadPermission } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { FileRepository } from './file.repository';

/**
 * The fs driver's question "may this key still be uploaded to, and how much?", asked when a PUT
 * arrives and again before its body replaces the key. Only a pending file (its account alive:
 * deleting an account deletes its rows) within its URL's lifetime takes an upload; a completed
 * object is final. The limit is the declared size, or the per-file limit when none was declared.
 */
@Injectable()
export class UploadPermissions {
  constructor(
    private readonly files: FileRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(objectKey: string): Promise<UploadPermission> {
    const file = await this.files.findPendingByObjectKey(objectKey);
    if (!file || file.uploadExpiresAt.getTime() <= this.clock.now().getTime()) return undefined;
    return { maxBytes: file.declaredSize ?? this.config.limits.maxFileSizeBytes };
  }
}
