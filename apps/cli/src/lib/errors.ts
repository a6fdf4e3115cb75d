/**
 * Exit codes of the `coffer` process, and the one rule that picks them (README, "Exit codes"):
 *
 * - 2, usage error: the command cannot run with the input it was given, and nothing was tried —
 *   an unknown, missing, conflicting or malformed argument or option (or the environment variable
 *   that stands in for one: COFFER_KEY, COFFER_SERVER…), a secret, code, key, link, file id or
 *   e-mail address that is malformed (empty, too short, not 6 digits, not a recovery code, not
 *   base64 of 32 bytes, two entries that differ; an address the server refuses as malformed at
 *   registration, where nothing is saved), or input the command needs that was
 *   not given while there is no terminal to ask for it (e-mail, code, secret, confirmation).
 *   Thrown as `UsageError`, or `missingInput()` for the last kind.
 * - 130 / 143: interrupted by SIGINT (Ctrl-C, at a prompt too) / SIGTERM.
 * - 1: every other failure — the attempt was made and failed: the server refused or could not be
 *   reached, a wrong password, key or passphrase, a file that cannot be read, a damaged file, a
 *   confirmation answered "no".
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;
/** 128 + SIGTERM. */
export const EXIT_TERMINATED = 143;

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

/** The input of the command is wrong or incomplete, and nothing was tried: exit code 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT_USAGE);
  }
}

/** Input the command needs was not given and there is no terminal to ask for it: exit code 2. */
export function missingInput(what: string, hint: string): UsageError {
  return new UsageError(`no ${what} given and no terminal to ask for it`, hint);
}

/** Prefixes a CliError's message with what was being done, keeping its hint and exit code. */
export function withContext(error: unknown, what: string): unknown {
  if (error instanceof CliError) {
    return new CliError(`${what}: ${error.message}`, error.hint, error.exitCode, { cause: error.cause });
  }
  return error;
}
