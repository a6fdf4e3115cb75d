import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Database } from './database';
import { DATABASE } from './database.token';

/**
 * Runs a scheduled job on at most one server instance at a time. The lock is a session-level
 * advisory lock on a connection of its own (`Database.tryExclusiveLock`), released when the job
 * ends, fails or throws; the job itself uses ordinary pooled connections and short transactions.
 */
@Injectable()
export class ExclusiveJobRunner {
  private readonly logger = new Logger(ExclusiveJobRunner.name);

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Returns false when another instance holds the job or it failed; errors are logged, never thrown. */
  async run(name: string, job: () => Promise<void>): Promise<boolean> {
    try {
      const lock = await this.database.tryExclusiveLock(lockKey(name));
      if (!lock) return false;
      try {
        await job();
        return true;
      } finally {
        await lock.release().catch((err: Error) => this.logger.warn(`job ${name}: releasing its lock failed: ${err.message}`));
      }
    } catch (err) {
      this.logger.error(`job ${name} failed: ${(err as Error).message}`);
      return false;
    }
  }
}

export function lockKey(name: string): bigint {
  return createHash('sha256').update(`coffer-job:${name}`).digest().readBigInt64BE(0);
}
