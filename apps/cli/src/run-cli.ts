import { runInterruptCleanups, wasInterrupted } from './lib/cleanup';
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from './lib/errors';
import type { KdfPolicy } from './lib/kdf-policy';
import { describeError } from './lib/report-error';
import type { Runtime } from './lib/runtime';
import { buildProgram } from './program';

/**
 * Runs `coffer` in this process with its arguments and ends the process: the only place that
 * decides the exit code. `kdf` is for the end-to-end tests only; the binary passes nothing.
 */
export function runCli(argv: string[], kdf?: KdfPolicy): void {
  for (const [signal, code] of [['SIGINT', EXIT_INTERRUPTED], ['SIGTERM', EXIT_TERMINATED]] as const) {
    process.on(signal, () => {
      // A second signal while cleaning up: exit at once.
      if (wasInterrupted()) process.exit(code);
      process.stderr.write(`\ncoffer: interrupted\n`);
      // Partial plaintext must not survive an interruption, nor a pending upload and its reservation.
      void runInterruptCleanups().finally(() => process.exit(code));
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

  const runtime: Runtime = { env: process.env, io: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, kdf };
  void run(argv, runtime).then((code) => {
    finished = true;
    // An interruption's clean-ups are still running: they end the process with the signal's code.
    if (!wasInterrupted()) process.exit(code);
  });
}

async function run(argv: string[], runtime: Runtime): Promise<number> {
  const program = buildProgram(runtime);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    const { text, exitCode } = describeError(error, verbose);
    if (text) runtime.io.stderr.write(text);
    return exitCode;
  }
}
