/** What the Prisma PostgreSQL adapter reports when the database, not the query, is the problem. */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/**
 * PostgreSQL's own codes for a server going away or not there yet: shutdown (57P01-57P03, what a
 * restart does to open sessions) and connection exceptions (class 08).
 */
const UNAVAILABLE_SQLSTATES = /^(57P0[123]|08\d{3})$/;
/**
 * Prisma's codes for the same, when it has no adapter detail; and P2028 "unable to start a
 * transaction in the given time": every pool connection is busy (a burst of deletes across two
 * replicas met it), so nothing was done and the request may be retried.
 */
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2028']);

/** pg's own errors that reach us unwrapped when a connection dies while the pool opens it. */
const PG_CONNECTION_ERRORS = /^(Connection terminated|timeout exceeded when trying to connect)/;

/** Seconds a client is asked to wait: a restarting PostgreSQL or a failover takes a few. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * True when `err` (as Prisma or its pg adapter throws it) says the database cannot be reached
 * right now. Such a request changed nothing (a transaction cut off is rolled back by
 * PostgreSQL), so it is a 503 the client may retry, not a 500; the pool reconnects by itself.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  if (typeof e.message === 'string' && PG_CONNECTION_ERRORS.test(e.message) && typeof e.stack === 'string' && /[\\/]pg(-pool)?[\\/]/.test(e.stack)) return true;
  const cause = (e.meta?.driverAdapterError?.cause ?? (e.name === 'DriverAdapterError' ? e.cause : undefined)) as { kind?: unknown; code?: unknown } | undefined;
  if (cause && typeof cause.kind === 'string') {
    if (UNREACHABLE_KINDS.has(cause.kind)) return true;
    return cause.kind === 'postgres' && typeof cause.code === 'string' && UNAVAILABLE_SQLSTATES.test(cause.code);
  }
  return typeof e.name === 'string' && e.name.startsWith('PrismaClient') && typeof e.code === 'string' && UNREACHABLE_PRISMA_CODES.has(e.code);
}
