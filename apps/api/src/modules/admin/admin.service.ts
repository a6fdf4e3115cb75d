import { Inject, Injectable, Logger } from '@nestjs/common';
import { abortMultipartUploads, OWNER_HASH_MARKER, type ObjectStore } from '@coffer/storage';
import { bearerTokenMatches } from '../../common/bearer-token';
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
   * Wipes every table and every stored object. Only a server in development mode does this, and
   * only for a caller sending the admin token (`authorization` is the request's header); in test
   * and production mode it is refused, whatever the token.
   */
  async reset(authorization: string | undefined): Promise<void> {
    if (this.config.env !== 'development') {
      throw new DomainError('FORBIDDEN', 'Reset is only available when the server runs in development mode');
    }
    if (!bearerTokenMatches(authorization, this.config.admin.token)) {
      throw new DomainError('UNAUTHORIZED', 'Reset needs the admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    }
    const tables = await this.admin.wipeAllTables();
    const objects = await this.store.deletePrefix(OWNER_HASH_MARKER);
    await abortMultipartUploads(this.store, OWNER_HASH_MARKER);
    this.logger.warn(`reset: emptied ${tables.length} tables and deleted ${objects} objects`);
  }
}
