import { Inject, Injectable, Logger } from '@nestjs/common';
import { OWNER_HASH_MARKER, type ObjectStore } from '@coffer/storage';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OBJECT_STORE } from '../storage/storage.module';
import { AdminRepository } from './admin.repository';

@Injectable()
export class AdminService {
  private readonly logger = new Logger(AdminService.name);

  constructor(
    private readonly admin: AdminRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Wipes every table and every stored object. Only a server in development mode does this; in
   * test and production mode it is refused, whatever the caller.
   */
  async reset(): Promise<void> {
    if (this.config.env !== 'development') {
      throw new DomainError('FORBIDDEN', 'Reset is only available when the server runs in development mode');
    }
    const tables = await this.admin.wipeAllTables();
    const objects = await this.store.deletePrefix(OWNER_HASH_MARKER);
    this.logger.warn(`reset: emptied ${tables.length} tables and deleted ${objects} objects`);
  }
}
