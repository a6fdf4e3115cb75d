import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ErrorCode } from '@coffer/contract';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DomainError } from '../../common/domain-error';
import type { Database } from '../../database/database';
import { DATABASE } from '../../database/database.token';
import { ExclusiveJobRunner } from '../../database/exclusive-job';
import { LedgerRepository } from '../quota/ledger.repository';

/** What a presign or complete ended with: `ok`, or the error code the client was answered. */
export type UploadResult = 'ok' | ErrorCode;

/**
 * Every metric of `GET /metrics` (docs/OPERATIONS.md lists them), in a registry of this
 * application's own. Labels only ever take values from small fixed sets (route patterns,
 * statuses, error codes, job names): never ids, hashes, addresses or raw paths.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly logger = new Logger(Metrics.name);

  private readonly httpRequests = new Counter({
    name: 'coffer_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'coffer_http_request_duration_seconds',
    help: 'Time from the request line to the end of the answer, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });

  private readonly presigns = new Counter({
    name: 'coffer_upload_presigns_total',
    help: 'POST /api/files/presign by result: ok, or the error code answered',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly completes = new Counter({
    name: 'coffer_upload_completes_total',
    help: 'POST /api/files/complete by result: ok, or the error code answered (the reason it failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly jobRuns = new Counter({
    name: 'coffer_job_runs_total',
    help: 'Scheduled job runs by job and outcome (ok, failed, skipped: held by another instance or the server is stopping)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'coffer_job_duration_seconds',
    help: 'Duration of scheduled job runs that held the lock, by job',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });

  constructor(
    @Inject(DATABASE) database: Database,
    ledger: LedgerRepository,
    jobs: ExclusiveJobRunner,
  ) {
    collectDefaultMetrics({ register: this.registry });
    jobs.observe((job, outcome, seconds) => {
      this.jobRuns.inc({ job, outcome });
      if (outcome !== 'skipped') this.jobDuration.observe({ job }, seconds);
    });
    this.ledgerGauges(ledger);
    this.poolGauges(database);
  }

  httpRequest(method: string, route: string, status: string, seconds: number): void {
    this.httpRequests.inc({ method, route, status });
    this.httpDuration.observe({ method, route, status }, seconds);
  }

  presign(result: UploadResult): void {
    this.presigns.inc({ result });
  }

  complete(result: UploadResult): void {
    this.completes.inc({ result });
  }

  /** Counts the outcome of `action` with `count` and passes its result or error on unchanged. */
  async counted<T>(count: (result: UploadResult) => void, action: () => Promise<T>): Promise<T> {
    try {
      const value = await action();
      count('ok');
      return value;
    } catch (err) {
      count(err instanceof DomainError ? err.code : 'INTERNAL_ERROR');
      throw err;
    }
  }

  /** Read at scrape time from the ledger's one-row service totals: one primary-key read. */
  private ledgerGauges(ledger: LedgerRepository): void {
    let totals: Promise<{ usedBytes: number; reservedBytes: number } | undefined> | undefined;
    // Both gauges are collected in one scrape; they share one read.
    const read = () =>
      (totals ??= ledger
        .totals()
        .catch((err: Error) => {
          this.logger.warn(`metrics: cannot read the storage totals: ${err.message}`);
          return undefined;
        })
        .finally(() => setImmediate(() => (totals = undefined))));
    new Gauge({
      name: 'coffer_storage_used_bytes',
      help: 'Bytes of completed files, service-wide (the ledger); NaN when the database cannot be read',
      registers: [this.registry],
      async collect() {
        this.set((await read())?.usedBytes ?? NaN);
      },
    });
    new Gauge({
      name: 'coffer_storage_reserved_bytes',
      help: 'Bytes reserved by uploads in progress, service-wide (the ledger); NaN when the database cannot be read',
      registers: [this.registry],
      async collect() {
        this.set((await read())?.reservedBytes ?? NaN);
      },
    });
  }

  private poolGauges(database: Database): void {
    if (!database.poolStats()) return;
    const stats = () => database.poolStats()!;
    new Gauge({
      name: 'coffer_db_pool_connections',
      help: 'Open PostgreSQL connections of the pool, by state (in_use, idle)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { total, idle } = stats();
        this.set({ state: 'in_use' }, total - idle);
        this.set({ state: 'idle' }, idle);
      },
    });
    new Gauge({
      name: 'coffer_db_pool_waiting',
      help: 'Queries waiting for a pooled connection',
      registers: [this.registry],
      collect() {
        this.set(stats().waiting);
      },
    });
    new Gauge({
      name: 'coffer_db_pool_max',
      help: 'Largest number of connections the pool opens',
      registers: [this.registry],
      collect() {
        this.set(stats().max);
      },
    });
  }
}
