import { Client } from 'pg';

/** A lock that is held until `release` (or until its connection dies). */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes the session-level advisory lock `key` on a connection of its own, outside the Prisma
 * pool, or answers undefined when another session holds it. Nothing is held in a transaction, so
 * no pooled connection sits idle in one for a whole job; if the process dies, the connection does
 * too and PostgreSQL releases the lock.
 */
export async function tryAdvisoryLock(url: string, key: bigint): Promise<HeldLock | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A dropped lock connection only ends the lock early; the job itself is idempotent.
  client.on('error', () => undefined);
  await client.connect();
  let locked = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key.toString()]);
    locked = rows[0].locked;
  } finally {
    if (!locked) await client.end().catch(() => undefined);
  }
  if (!locked) return undefined;
  return {
    release: async () => {
      try {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
      } finally {
        // Closing the session releases the lock even when the unlock above failed.
        await client.end().catch(() => undefined);
      }
    },
  };
}
