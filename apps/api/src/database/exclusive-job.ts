import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Database } from './database';
import { DATABASE } from './database.token';

/** How a run ended: done, failed (logged), or skipped because another instance holds the job or the server is stopping. */
export type JobOutcome = 'ok' | 'failed' | 'skipped';

export type JobObserver = (name: string, outcome: JobOutcome, seconds: number) => void;

/** For a job on a schedule: a run started on any instance less than `oncePerSeconds` ago makes this one a no-op. */
export interface JobSchedule {
  oncePerSeconds: number;
}

/**
 * Every replica's cron fires at the same wall-clock time; the lock alone would let a late one
 * run a short job again right after the first finished. Half the period absorbs clock skew.
 */
export function everySeconds(periodSeconds: number): JobSchedule {
  return { oncePerSeconds: periodSeconds / 2 };
}

/**
 * Runs a scheduled job on at most one server instance at a time. The lock is a session-level
 * advisory lock on a connection of its own (`Database.tryExclusiveLock`), released when the job
 * ends, fails or throws; the job itself uses ordinary pooled connections and short transactions.
 * With a `JobSchedule`, the instance holding the lock also claims the run in `job_runs`, so a
 * scheduled job runs once per period across all instances.
 */
@Injectable()
export class ExclusiveJobRunner {
  private readonly logger = new Logger(ExclusiveJobRunner.name);
  private readonly observers: JobObserver[] = [];
  private readonly running = new Set<Promise<boolean>>();
  private stopping = false;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** `observer` hears of every run (the metrics count them); it must not throw. */
  observe(observer: JobObserver): void {
    this.observers.push(observer);
  }

  /** Returns false when another instance holds the job, the server is stopping, or it failed; errors are logged, never thrown. */
  run(name: string, job: () => Promise<void>, schedule?: JobSchedule): Promise<boolean> {
    if (this.stopping) {
      this.report(name, 'skipped', 0);
      return Promise.resolve(false);
    }
    const run = this.runLocked(name, job, schedule);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  /**
   * Shutdown: no job starts any more; resolves when the running ones have ended (each releases its
   * lock as it ends) or after `timeoutMs`, whichever is first. A job still running then loses its
   * lock with the process's connection; every job is idempotent, so another instance redoes it.
   */
  async drain(timeoutMs: number): Promise<{ unfinished: number }> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
    return { unfinished: this.running.size };
  }

  private async runLocked(name: string, job: () => Promise<void>, schedule?: JobSchedule): Promise<boolean> {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const lock = await this.database.tryExclusiveLock(lockKey(name));
      if (!lock) {
        this.report(name, 'skipped', elapsed());
        return false;
      }
      try {
        if (schedule && !(await this.claim(name, schedule))) {
          this.report(name, 'skipped', elapsed());
          return false;
        }
        await job();
        this.report(name, 'ok', elapsed());
        return true;
      } finally {
        await lock.release().catch((err: Error) => this.logger.warn(`job ${name}: releasing its lock failed: ${err.message}`));
      }
    } catch (err) {
      this.logger.error(`job ${name} failed: ${(err as Error).message}`);
      this.report(name, 'failed', elapsed());
      return false;
    }
  }

  /** True when this instance may run `name` now; the database's clock decides, not the replica's. */
  private async claim(name: string, schedule: JobSchedule): Promise<boolean> {
    const claimed = await this.database.prisma.$queryRaw<{ name: string }[]>`
      INSERT INTO job_runs (name, started_at) VALUES (${name}, now())
      ON CONFLICT (name) DO UPDATE SET started_at = now()
      WHERE job_runs.started_at <= now() - ${schedule.oncePerSeconds}::float8 * interval '1 second'
      RETURNING name`;
    return claimed.length === 1;
  }

  private report(name: string, outcome: JobOutcome, seconds: number): void {
    for (const observer of this.observers) observer(name, outcome, seconds);
  }
}

export function lockKey(name: string): bigint {
  return createHash('sha256').update(`coffer-job:${name}`).digest().readBigInt64BE(0);
}
