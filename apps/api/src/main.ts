import 'reflect-metadata';
import { startServer } from './app/server';
import { StartupError } from './common/startup-error';

startServer().catch((err: unknown) => {
  // Startup failures are for an operator: one line, no stack trace.
  const message = err instanceof StartupError ? err.message : `unexpected startup failure: ${(err as Error)?.message ?? err}`;
  process.stderr.write(`coffer: ${message}\n`);
  process.exit(1);
});
