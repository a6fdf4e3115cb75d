import type { Server, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ExclusiveJobRunner } from '../database/exclusive-job';

export interface ShutdownLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Tracks the requests in flight on `server` so a shutdown can wait for exactly those: once it
 * starts, every answer carries `Connection: close` and each connection is closed as soon as its
 * answer is done, instead of idling out its keep-alive time.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('request', (_req, res: ServerResponse) => {
      this.inFlight.add(res);
      if (this.draining) closeAfterAnswer(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        if (this.draining) setImmediate(() => server.closeIdleConnections());
      });
    });
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting connections and waits up to `timeoutMs` for the requests in flight; those still
   * running then are cut. Resolves with how many were cut.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const res of this.inFlight) closeAfterAnswer(res);
    this.server.closeIdleConnections();
    if (await settlesWithin(closed, timeoutMs)) return 0;
    const cut = this.inFlight.size;
    this.server.closeAllConnections();
    await closed;
    return cut;
  }
}

function closeAfterAnswer(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SIGTERM/SIGINT: stop accepting connections; let the requests in flight and the running jobs
 * finish within `graceMs` (no job starts any more; requests still running then are cut, a job
 * still running loses its lock with the process); then Nest's shutdown (schedulers stopped, the
 * database pool closed). Resolves when all of that is done.
 */
export async function shutDown(app: NestExpressApplication, drain: HttpDrain, graceMs: number, logger: ShutdownLogger): Promise<void> {
  const jobs = app.get(ExclusiveJobRunner);
  logger.log(`draining ${drain.requestsInFlight} request(s) in flight and the running jobs (up to ${graceMs / 1000} s)`);
  const [cut, { unfinished }] = await Promise.all([drain.drain(graceMs), jobs.drain(graceMs)]);
  if (cut > 0) logger.warn(`cut ${cut} request(s) still running after ${graceMs / 1000} s`);
  if (unfinished > 0) logger.warn(`${unfinished} job(s) still running after ${graceMs / 1000} s; their locks end with this process, another instance reruns them`);
  await app.close();
}
