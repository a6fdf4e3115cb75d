import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';

/** The little a migration needs from a connection: multi-statement SQL and parameterised queries. */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export function pgSession(client: Client): SqlSession {
  return {
    exec: async (sql) => void (await client.query(sql)),
    // The caller names the row type of its own SQL; pg cannot check it.
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
  };
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

// Any fixed number; it only has to be the same for every server instance.
const MIGRATION_LOCK_KEY = 4_302_417_733;

/**
 * Applies `prisma/migrations/<name>/migration.sql` in name order and records each in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does (same table, name and sha256
 * checksum), so either tool can take over from the other. Everything runs in one transaction
 * under an advisory lock: instances starting together apply each migration once, and a failing
 * migration leaves the database as it was.
 */
export async function applyMigrations(session: SqlSession, migrationsDir: string): Promise<MigrationResult> {
  const migrations = readMigrations(migrationsDir);
  await session.exec('BEGIN');
  try {
    await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await session.exec(MIGRATIONS_TABLE);
    const rows = await session.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const failed = rows.find((r) => r.finished_at === null);
    if (failed) {
      throw new Error(`migration ${failed.migration_name} failed earlier and was not resolved; fix it with \`prisma migrate resolve\``);
    }
    const done = new Set(rows.map((r) => r.migration_name));
    const pending = migrations.filter((m) => !done.has(m.name));
    for (const migration of pending) {
      await session.exec(migration.sql);
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
    }
    await session.exec('COMMIT');
    return { applied: pending.map((m) => m.name), alreadyApplied: done.size };
  } catch (err) {
    await session.exec('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

function readMigrations(dir: string): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Finds `prisma/migrations` from the compiled or source location, and in the container image. */
export function findMigrationsDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no prisma/migrations directory above ${from}`);
  }
}

// Prisma's own definition, so `prisma migrate deploy` recognises the table.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;
