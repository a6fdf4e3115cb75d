import { Client } from 'pg';
import { applyMigrations, findMigrationsDir, pgSession } from '../../apps/api/src/database/migrator';
import { serverUrl, templateName, withDatabase } from './database';

/** Migrates the template database that every test file clones (only with DATABASE_URL). */
export default async function globalSetup(): Promise<void> {
  const url = serverUrl();
  if (!url) return;
  const template = templateName();
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    // Databases and templates left by runs that were killed; the advisory lock keeps two
    // projects of the same run (medium, e2e) from racing on the template.
    await admin.query('SELECT pg_advisory_lock(871234)');
    const existing = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'coffer\\_template\\_%'",
    );
    if (!existing.rows.some((r) => r.datname === template)) {
      for (const { datname } of existing.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${template}"`);
      const client = new Client({ connectionString: withDatabase(url, template) });
      await client.connect();
      try {
        await applyMigrations(pgSession(client), findMigrationsDir(__dirname));
      } finally {
        await client.end();
      }
    }
    await admin.query('SELECT pg_advisory_unlock(871234)');
  } finally {
    await admin.end();
  }
}
