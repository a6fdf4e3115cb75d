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
  app.get(Logger).log(
    {
      url: config.publicUrl,
      env: config.env,
      database: database.kind,
      storage: config.storage.driver,
      migrationsApplied: database.migrations.applied,
      startupMs: Math.round(performance.now() - startedAt),
    },
    `Coffer listening on ${config.publicUrl}`,
  );
  return app;
}
