import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { StartupError } from '../common/startup-error';
import { loadConfig } from '../config/config';
import { openDatabase } from '../database/database';
import { buildObjectStore } from '../modules/storage/object-store.factory';
import { createApp } from './create-app';

/** Boot order: configuration, database (connected and migrated), storage, then HTTP. */
export async function startServer(): Promise<NestExpressApplication> {
  const startedAt = performance.now();
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = buildObjectStore(config);
  const app = await createApp({ config, database, store });
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  app.get(Logger).log({
    msg: `Coffer listening on ${config.publicUrl}`,
    env: config.env,
    database: database.kind,
    storage: config.storage.driver,
    migrationsApplied: database.migrations.applied,
    startupMs: Math.round(performance.now() - startedAt),
  });
  stopOnSignals(app);
  return app;
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close the database,
 * then exit 0. A second signal exits at once.
 */
function stopOnSignals(app: NestExpressApplication): void {
  const stop = (signal: NodeJS.Signals) => {
    app.get(Logger).log({ msg: `received ${signal}, shutting down` });
    process.once(signal, () => process.exit(1));
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
