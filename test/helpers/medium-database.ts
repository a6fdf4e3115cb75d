import type { AppConfig } from '../../apps/api/src/config/app-config';
import { loadConfig } from '../../apps/api/src/config/config';
import { Database, openDatabase } from '../../apps/api/src/database/database';
import { createTestDatabase, serverUrl, TestDatabase } from './database';

/**
 * `describe` for suites that need a PostgreSQL server (DATABASE_URL): to race statements, which
 * the embedded database runs one at a time, or to create databases of their own. Skipped without one.
 */
export const describeWithPostgres = serverUrl() ? describe : describe.skip;

/** Usable from the file's first `beforeAll` to its last `afterAll`. */
export interface MediumDatabase {
  readonly database: Database;
  /** `database.prisma`, which is what most tests need. */
  readonly prisma: Database['prisma'];
  /** The configuration a server on this database would load: APP_ENV=test, plus `env`. */
  config(env?: Record<string, string>): AppConfig;
}

/**
 * A database of its own (see `createTestDatabase`) for the test file that calls this in its
 * top-level `describe`: opened and migrated before the file's tests, dropped after them.
 */
export function useMediumDatabase(): MediumDatabase {
  let testDb: TestDatabase | undefined;
  let database: Database | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = await openDatabase({ databaseUrl: testDb.url, dataDir: testDb.dataDir });
  });

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  const notOpenYet = () => new Error('the medium database opens in beforeAll; use it from a hook or a test');
  return {
    get database() {
      if (!database) throw notOpenYet();
      return database;
    },
    get prisma() {
      return this.database.prisma;
    },
    config(env = {}) {
      if (!testDb) throw notOpenYet();
      return loadConfig({ APP_ENV: 'test', DATA_DIR: testDb.dataDir, DATABASE_URL: testDb.url, ...env });
    },
  };
}
