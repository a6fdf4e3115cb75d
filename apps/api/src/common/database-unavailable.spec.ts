import { isDatabaseUnavailable } from './database-unavailable';

/** The shapes Prisma 7 with @prisma/adapter-pg throws, as seen with PostgreSQL behind a cut relay. */
function prismaError(code: string, cause: Record<string, unknown>): Error {
  return Object.assign(new Error('Invalid `prisma.$queryRaw()` invocation'), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['refused connection', prismaError('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['connection cut mid-query', prismaError('P1017', { kind: 'ConnectionClosed' })],
    ['socket timeout', prismaError('P2010', { kind: 'SocketTimeout' })],
    ['server shutting down (a restart)', prismaError('P2010', { kind: 'postgres', code: '57P01' })],
    ['server starting up', prismaError('P2010', { kind: 'postgres', code: '57P03' })],
    ['connection exception', prismaError('P2010', { kind: 'postgres', code: '08006' })],
    ['no adapter detail', Object.assign(new Error('x'), { name: 'PrismaClientKnownRequestError', code: 'P1001' })],
    [
      'pool too busy to start a transaction',
      Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { name: 'PrismaClientKnownRequestError', code: 'P2028' }),
    ],
    [
      "pg's unwrapped error while the pool connects",
      Object.assign(new Error('Connection terminated unexpectedly'), { stack: 'Error: Connection terminated unexpectedly\n    at /app/node_modules/pg-pool/index.js:45:11' }),
    ],
  ])('is true for a %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['unique violation', prismaError('P2002', { kind: 'UniqueConstraintViolation' })],
    ['syntax error', prismaError('P2010', { kind: 'postgres', code: '42601' })],
    ['unrelated error with the same words', Object.assign(new Error('Connection terminated unexpectedly'), { stack: 'Error\n    at /app/node_modules/nodemailer/lib/x.js:1:1' })],
    ['plain error', new Error('boom')],
    ['non-object', 'boom'],
    ['null', null],
  ])('is false for a %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
