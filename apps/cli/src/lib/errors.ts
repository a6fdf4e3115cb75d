/** Exit codes of the `coffer` process. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A failure the user should see as `coffer: <message>` followed by a hint line. Everything the
 * commands throw on purpose is one of these; anything else is reported as an unexpected error.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The command line itself is wrong (missing or conflicting options): exit code 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT_USAGE);
  }
}

/** Prefixes a CliError's message with what was being done, keeping its hint and exit code. */
export function withContext(error: unknown, what: string): unknown {
  if (error instanceof CliError) {
    return new CliError(`${what}: ${error.message}`, error.hint, error.exitCode, { cause: error.cause });
  }
  return error;
}
