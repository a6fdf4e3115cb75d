import { Client } from 'pg';
import { serverUrl } from '../../../../test/helpers/database';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

/** The PostgreSQL pool of the server when PostgreSQL ends its connections on its own. */
describeWithPostgres('the database pool', () => {
  const db = useMediumDatabase();

  async function databaseName(): Promise<string> {
    const [{ name }] = await db.prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    return name;
  }

  /** Ends every connection to the database, as a restart or DROP DATABASE ... FORCE does; how many. */
  async function terminateConnections(name: string): Promise<number> {
    const admin = new Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1', [name]);
      return rows.filter((r) => r.ended).length;
    } finally {
      await admin.end();
    }
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  // PostgreSQL databases have pool statistics (the embedded one has none: undefined fails the test).
  const idleConnections = () => db.database.poolStats()?.idle;

  it('survives idle connections ended by PostgreSQL after Prisma disconnected (as during close): no unhandled error event', async () => {
    const name = await databaseName();
    expect(idleConnections()).toBeGreaterThan(0);
    // $disconnect() takes Prisma's own error listener off the pool, which still holds the idle client.
    await db.prisma.$disconnect();

    expect(await terminateConnections(name)).toBeGreaterThan(0);
    await settle();

    expect(idleConnections()).toBe(0);
  });

  it('answers again after PostgreSQL ended its idle connections (a restart), without reopening', async () => {
    expect(await terminateConnections(await databaseName())).toBeGreaterThan(0);
    await settle();

    expect(await db.prisma.$queryRaw`SELECT 2 AS two`).toEqual([{ two: 2 }]);
  });
});
