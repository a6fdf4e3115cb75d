#!/usr/bin/env node
import { runInterruptCleanups } from './lib/cleanup';
import { EXIT_INTERRUPTED } from './lib/prompt';
import { describeError } from './lib/report-error';
import { buildProgram } from './program';

/** Entry point: the only place that decides the exit code and ends the process. */
async function main(argv: string[]): Promise<number> {
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const program = buildProgram({ env: process.env, io });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    const { text, exitCode } = describeError(error, verbose);
    if (text) process.stderr.write(text);
    return exitCode;
  }
}

for (const [signal, code] of [['SIGINT', EXIT_INTERRUPTED], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    // Partial plaintext must not survive an interruption.
    runInterruptCleanups();
    process.stderr.write(`\ncoffer: interrupted\n`);
    process.exit(code);
  });
}
// A closed stdout (`coffer files list | head -1`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

let finished = false;
// Node exits quietly with status 0 when nothing is left to wait for; a command that stops
// half-way like that (a promise nobody can settle) must not look like a success.
process.once('beforeExit', () => {
  if (finished) return;
  process.stderr.write('coffer: internal error: the command stopped before it finished\nPlease report it, with the output of --verbose.\n');
  process.exit(1);
});

void main(process.argv).then((code) => {
  finished = true;
  process.exit(code);
});
