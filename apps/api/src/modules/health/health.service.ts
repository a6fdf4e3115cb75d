import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import { Clock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DATABASE } from '../../database/database.token';
import type { Database } from '../../database/database';
import { OBJECT_STORE } from '../storage/storage.module';
import { CliVersionResponse, ComponentState, ReadinessResponse } from './health.dto';
import { ReadinessLog } from './readiness-log';

const CHECK_TIMEOUT_MS = 3000;

@Injectable()
export class HealthService {
  private readonly log: ReadinessLog;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectThrottlerStorage() private readonly rateLimits: ThrottlerStorage & { ping?: () => Promise<void> },
    clock: Clock,
  ) {
    this.log = new ReadinessLog(new Logger('Readiness'), clock);
  }

  async readiness(): Promise<ReadinessResponse> {
    // Only the Redis store can be down; counters in this process always answer.
    const ping = this.rateLimits.ping?.bind(this.rateLimits);
    const [database, storage, rateLimits] = await Promise.all([
      this.probe('database', () => this.database.ping()),
      this.probe('storage', () => this.store.ping()),
      ping ? this.probe('redis', ping) : undefined,
    ]);
    return rateLimits ? { database, storage, rate_limits: rateLimits } : { database, storage };
  }

  private async probe(component: string, check: () => Promise<void>): Promise<ComponentState> {
    const failure = await probe(check);
    this.log.report(component, failure);
    return failure === undefined ? 'ok' : 'down';
  }

  cliVersion(): CliVersionResponse {
    return { compatible_version: this.config.compatibleCliVersion };
  }
}

/** Undefined when `check` succeeded in time, else why it did not. */
async function probe(check: () => Promise<void>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return undefined;
  } catch (err) {
    return err ?? new Error('failed without an error');
  } finally {
    clearTimeout(timer);
  }
}
