import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations, findMigrationsDir, pgSession } from '../../src/database/migrator';
import { adminQuery, serverUrl, withDatabase } from '../../../../test/helpers/database';
import { describeWithPostgres } from '../../../../test/helpers/medium-database';
import { migrationNames } from '../../../../test/helpers/migrations';

const url = serverUrl();

describeWithPostgres('applyMigrations on real PostgreSQL', () => {
  const name = `coffer_mig_${process.pid}_${Date.now()}`;
  let client: Client;

  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE "${name}"`);
    client = new Client({ connectionString: withDatabase(url!, name) });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('migrates an empty database and records each migration the way prisma migrate deploy does', async () => {
    const dir = findMigrationsDir(__dirname);
    const expected = migrationNames();

    const result = await applyMigrations(pgSession(client), dir);

    expect(result).toEqual({ applied: expected, alreadyApplied: 0 });
    const rows = (await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name')).rows;
    expect(rows.map((r) => r.migration_name)).toEqual(expected);
    const firstSql = fs.readFileSync(path.join(dir, expected[0], 'migration.sql'));
    expect(rows[0].checksum).toBe(createHash('sha256').update(firstSql).digest('hex'));
    expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
    const tables = (await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.tablename);
    expect(tables).toEqual(expect.arrayContaining(['users', 'files', 'refresh_tokens', 'otp_codes', 'download_counters', 'storage_usage', 'storage_sweeps']));
  });

  it('applies nothing the second time', async () => {
    const result = await applyMigrations(pgSession(client), findMigrationsDir(__dirname));
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toBeGreaterThan(0);
  });

  it('rolls a failing migration back completely and records nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-migrations-'));
    fs.mkdirSync(path.join(dir, '20990101000000_broken'));
    fs.writeFileSync(path.join(dir, '20990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');

    await expect(applyMigrations(pgSession(client), dir)).rejects.toThrow(/no_such_function/);

    const leftovers = await client.query("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    expect(leftovers.rowCount).toBe(0);
    const recorded = await client.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '20990101000000_broken'`);
    expect(recorded.rowCount).toBe(0);
  });
});
