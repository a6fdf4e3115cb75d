import { Inject, Injectable } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DATABASE } from '../../database/database.token';
import type { Database } from '../../database/database';
import { OBJECT_STORE } from '../storage/storage.module';
import { CliVersionResponse, ComponentState, ReadinessResponse } from './health.dto';

const CHECK_TIMEOUT_MS = 3000;

@Injectable()
export class HealthService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async readiness(): Promise<ReadinessResponse> {
    const [database, storage] = await Promise.all([probe(() => this.database.ping()), probe(() => this.store.ping())]);
    return { database, storage };
  }

  cliVersion(): CliVersionResponse {
    return { compatible_version: this.config.compatibleCliVersion };
  }
}

async function probe(check: () => Promise<void>): Promise<ComponentState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
