import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { findMigrationsDir } from '../../apps/api/src/database/migrator';

/**
 * Each test file gets its own database. With DATABASE_URL (CI, and anyone with a local
 * PostgreSQL) it is a clone of a template migrated once per run (`globalSetup`); without it,
 * the embedded PostgreSQL in a temporary directory.
 */
export interface TestDatabase {
  /** Set for real PostgreSQL; undefined means "use the embedded database in dataDir". */
  url?: string;
  dataDir: string;
  drop(): Promise<void>;
}

const PREFIX = 'coffer_test_';

export function serverUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

/** Template name changes whenever a migration does, so stale templates are never reused. */
export function templateName(): string {
  const dir = findMigrationsDir(path.join(__dirname, '../../apps/api/src'));
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'migration.sql');
    if (fs.existsSync(file)) hash.update(name).update(fs.readFileSync(file));
  }
  return `coffer_template_${hash.digest('hex').slice(0, 12)}`;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const url = serverUrl();
  if (!url) throw new Error('DATABASE_URL is not set');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-test-'));
  const removeDir = () => fs.promises.rm(dataDir, { recursive: true, force: true });
  const url = serverUrl();
  if (!url) return { dataDir, drop: removeDir };
  const name = `${PREFIX}${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`);
  return {
    url: withDatabase(url, name),
    dataDir,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await removeDir();
    },
  };
}
