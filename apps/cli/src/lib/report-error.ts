import { CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors';

/** An error already shown to the user (e.g. one failed file of several): only its exit code remains. */
export class ReportedFailure extends CliError {
  override readonly name = 'ReportedFailure';
  constructor(message = 'failed') {
    super(message);
  }
}

const QUIET_COMMANDER_CODES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync']);

/**
 * The one place errors become text: `coffer: <what failed>` and a hint line, both for stderr, and
 * the exit code. `verbose` adds causes and stack traces.
 */
export function describeError(error: unknown, verbose: boolean): { text: string; exitCode: number } {
  if (error instanceof ReportedFailure) return { text: '', exitCode: error.exitCode };
  if (error instanceof CommanderError) {
    if (QUIET_COMMANDER_CODES.has(error.code)) return { text: '', exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
    const message = error.message.replace(/^error: /, '').split('\n');
    const hint = message.slice(1).join(' ').trim();
    return { text: `coffer: ${message[0]}\n${hint ? `${hint} ` : ''}Run \`coffer --help\` (or \`coffer <command> --help\`) for usage.\n`, exitCode: EXIT_USAGE };
  }
  if (error instanceof CliError) {
    let text = `coffer: ${error.message}\n`;
    if (error.hint) text += `${error.hint}\n`;
    if (verbose && error.cause !== undefined) text += `cause: ${describeCause(error.cause)}\n`;
    return { text, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  let text = `coffer: unexpected error: ${message}\n`;
  text += verbose && error instanceof Error && error.stack ? `${error.stack}\n` : 'Run with --verbose for details; if it persists, please report it.\n';
  return { text, exitCode: EXIT_FAILURE };
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}${(cause as NodeJS.ErrnoException).code ? ` (${(cause as NodeJS.ErrnoException).code})` : ''}`;
  return typeof cause === 'string' ? cause.slice(0, 2000) : JSON.stringify(cause);
}
