import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { StartupError } from '../common/startup-error';
import type { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/config';
import { openDatabase } from '../database/database';
import { buildObjectStore } from '../modules/storage/object-store.factory';
import { createApp } from './create-app';
import { HttpDrain, shutDown } from './graceful-shutdown';

/** Boot order: configuration, database (connected and migrated), storage, then HTTP. */
export async function startServer(): Promise<NestExpressApplication> {
  const startedAt = performance.now();
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = buildObjectStore(config);
  const app = await createApp({ config, database, store });
  const drain = new HttpDrain(app.getHttpServer());
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close().catch(() => undefined);
    // A dependency connected while the modules initialize (Redis) has said what failed already.
    if (err instanceof StartupError) throw err;
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  app.get(Logger).log({
    msg: `Coffer listening on ${config.publicUrl}`,
    env: config.env,
    database: database.kind,
    storage: config.storage.driver,
    // 'process' is right for one instance only: replicas each count the full budget (docs/API.md).
    rateLimitCounters: config.redis ? 'redis' : 'process',
    migrationsApplied: database.migrations.applied,
    startupMs: Math.round(performance.now() - startedAt),
  });
  logDevelopmentNotes(app, config);
  stopOnSignals(app, drain, config.shutdownGraceSeconds * 1000);
  return app;
}

/** Where the admin token is (never the token itself), and a warning when the dev server is reachable from outside. */
function logDevelopmentNotes(app: NestExpressApplication, config: AppConfig): void {
  if (config.env !== 'development') return;
  const logger = app.get(Logger);
  const reset = `${config.publicUrl}/admin/reset`;
  const token = config.admin.generatedIn
    ? `$(node -p 'require(process.argv[1]).adminToken' ${config.admin.generatedIn})`
    : '$ADMIN_TOKEN';
  logger.log({
    msg: `DELETE /admin/reset wipes everything; its admin token is ${config.admin.generatedIn ? `the "adminToken" key of ${config.admin.generatedIn}` : 'ADMIN_TOKEN'}: curl -X DELETE -H "Authorization: Bearer ${token}" ${reset}`,
  });
  if (!isLoopback(config.host)) {
    logger.warn({
      msg: `DEVELOPMENT SERVER LISTENING ON ${config.host}, NOT ONLY ON THIS MACHINE: anyone who can reach it can use /admin/reset with the admin token and read development mail codes in the log; use HOST=127.0.0.1 or APP_ENV=production`,
    });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

/**
 * SIGTERM/SIGINT: stop accepting connections, drain in-flight requests and running jobs (bounded by
 * SHUTDOWN_GRACE_SECONDS), close the database, then exit 0. A second signal exits at once (1), and
 * so does a shutdown that hangs well past its bound.
 */
function stopOnSignals(app: NestExpressApplication, drain: HttpDrain, graceMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    const logger = app.get(Logger);
    logger.log({ msg: `received ${signal}, shutting down` });
    setTimeout(() => {
      logger.error({ msg: `shutdown still not done ${graceMs / 1000 + 10} s after ${signal}; exiting` });
      process.exit(1);
    }, graceMs + 10_000).unref();
    const log = { log: (msg: string) => logger.log({ msg }), warn: (msg: string) => logger.warn({ msg }) };
    shutDown(app, drain, graceMs, log).then(
      () => {
        logger.log({ msg: 'stopped' });
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ msg: `shutdown failed: ${err.message}` });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
