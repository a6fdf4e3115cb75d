import { Client } from 'pg';
import { openDatabase, type Database } from '../../src/database/database';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../../../test/helpers/database';
import { describeWithPostgres } from '../../../../test/helpers/medium-database';

/** The PostgreSQL pool of the server when PostgreSQL ends its connections on its own. */
describeWithPostgres('the database pool', () => {
  let testDb: TestDatabase;
  let database: Database | undefined;

  beforeEach(async () => {
    testDb = await createTestDatabase();
    database = await openDatabase({ databaseUrl: testDb.url, dataDir: testDb.dataDir });
  });

  afterEach(async () => {
    await database?.close();
    await testDb?.drop();
  });

  async function terminateConnections(): Promise<number> {
    const admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      const name = new URL(testDb.url!).pathname.slice(1);
      const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1', [name]);
      return rows.filter((r) => r.ended).length;
    } finally {
      await admin.end();
    }
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  // PostgreSQL databases have pool statistics (the embedded one has none: undefined fails the test).
  const idleConnections = () => database!.poolStats()?.idle;

  it('survives idle connections ended by PostgreSQL after Prisma disconnected (as during close): no unhandled error event', async () => {
    await database!.prisma.$queryRaw`SELECT 1`;
    expect(idleConnections()).toBeGreaterThan(0);
    // $disconnect() takes Prisma's own error listener off the pool, which still holds the idle client.
    await database!.prisma.$disconnect();

    expect(await terminateConnections()).toBeGreaterThan(0);
    await settle();

    expect(idleConnections()).toBe(0);
  });

  it('answers again after PostgreSQL ended its idle connections (a restart), without reopening', async () => {
    await database!.prisma.$queryRaw`SELECT 1`;
    expect(await terminateConnections()).toBeGreaterThan(0);
    await settle();

    expect(await database!.prisma.$queryRaw`SELECT 2 AS two`).toEqual([{ two: 2 }]);
  });
});
