import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Database } from './database';
import { DATABASE } from './database.token';

/**
 * Runs a scheduled job on at most one server instance at a time. The lock is a PostgreSQL
 * advisory lock held by a transaction for the job's duration; the job itself uses ordinary
 * connections. The embedded database serves a single process, so no lock is needed there (and
 * holding its only connection would block the job).
 */
@Injectable()
export class ExclusiveJobRunner {
  private readonly logger = new Logger(ExclusiveJobRunner.name);

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Returns false when another instance holds the job; errors are logged, never thrown. */
  async run(name: string, job: () => Promise<void>, timeoutMs = 10 * 60_000): Promise<boolean> {
    try {
      if (this.database.kind === 'embedded') {
        await job();
        return true;
      }
      return await this.database.prisma.$transaction(
        async (tx) => {
          const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${lockKey(name)}) AS locked`;
          if (!locked) return false;
          await job();
          return true;
        },
        { timeout: timeoutMs, maxWait: 5_000 },
      );
    } catch (err) {
      this.logger.error(`job ${name} failed: ${(err as Error).message}`);
      return false;
    }
  }
}

function lockKey(name: string): bigint {
  return createHash('sha256').update(`coffer-job:${name}`).digest().readBigInt64BE(0);
}
