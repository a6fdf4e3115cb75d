import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { StartupError } from '../common/startup-error';
import { PrismaClient } from '../generated/prisma/client';
import { HeldLock, tryAdvisoryLock } from './advisory-lock';
import { applyMigrations, findMigrationsDir, MigrationResult, pgSession, SqlSession } from './migrator';

/** An open, migrated database. `prisma` is the only handle repositories use. */
export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'embedded';
  migrations: MigrationResult;
  ping(): Promise<void>;
  /**
   * The cluster-wide lock `key` (a session-level advisory lock on a dedicated connection), or
   * undefined when another server instance holds it. The embedded database serves one process,
   * so there it is always granted.
   */
  tryExclusiveLock(key: bigint): Promise<HeldLock | undefined>;
  /** The connection pool's use (PostgreSQL only; the embedded database has no pool). */
  poolStats(): PoolStats | undefined;
  close(): Promise<void>;
}

export interface PoolStats {
  max: number;
  /** Open connections, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

const POOL_MAX = 10;

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  migrationsDir?: string;
}

/**
 * Connects to PostgreSQL (or starts the embedded one), applies pending migrations and returns a
 * ready Prisma client. Any failure is a `StartupError` with one readable line, so a server never
 * runs half-up without its database.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const migrationsDir = options.migrationsDir ?? findMigrationsDir();
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, migrationsDir)
    : openEmbedded(path.join(options.dataDir, 'pgdata'), migrationsDir);
}

async function openPostgres(url: string, migrationsDir: string): Promise<Database> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new StartupError(`cannot connect to the database at ${redact(url)}: ${describe(err)}`);
  }
  let migrations: MigrationResult;
  try {
    migrations = await applyMigrations(pgSession(client), migrationsDir);
  } catch (err) {
    throw new StartupError(`cannot migrate the database at ${redact(url)}: ${describe(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  // Our own pool (not one the adapter builds) so its counts can be read for the metrics.
  const pool = new Pool({ connectionString: url, max: POOL_MAX });
  // An idle connection PostgreSQL ends (a restart, a DROP DATABASE ... FORCE) makes the pool emit
  // 'error'; the pool drops that client and the next query opens a new one. Prisma's adapter
  // listens only until $disconnect(), so without this an ending that races close() would be an
  // unhandled 'error' event: a crash.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: 'postgres',
    migrations,
    ping: async () => void (await prisma.$queryRaw`SELECT 1`),
    tryExclusiveLock: (key) => tryAdvisoryLock(url, key),
    poolStats: () => ({ max: POOL_MAX, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await prisma.$disconnect();
      // pg refuses a second end(); close can be reached twice (shutdown hook, then a test's own close).
      if (!pool.ended) await pool.end();
    },
  };
}

async function openEmbedded(dir: string, migrationsDir: string): Promise<Database> {
  let pglite: PGlite;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    pglite = await PGlite.create(dir);
  } catch (err) {
    throw new StartupError(`cannot open the embedded database in ${dir}: ${describe(err)}`);
  }
  const session: SqlSession = {
    exec: async (sql) => void (await pglite.exec(sql)),
    query: async <T>(sql: string, params?: unknown[]) => (await pglite.query<T>(sql, params)).rows,
  };
  let migrations: MigrationResult;
  try {
    migrations = await applyMigrations(session, migrationsDir);
  } catch (err) {
    await pglite.close().catch(() => undefined);
    throw new StartupError(`cannot migrate the embedded database in ${dir}: ${describe(err)}`);
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: 'embedded',
    migrations,
    ping: async () => void (await prisma.$queryRaw`SELECT 1`),
    tryExclusiveLock: async () => ({ release: async () => undefined }),
    poolStats: () => undefined,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message: string }[] };
  // pg reports "connect ECONNREFUSED" for each address of an AggregateError with an empty message.
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err);
  return message.split('\n')[0];
}
