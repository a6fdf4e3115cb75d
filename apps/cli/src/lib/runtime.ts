import type { Command } from 'commander';
import { Context, type GlobalOptions, type Io } from './context';
import type { KdfPolicy } from './kdf-policy';

/** The process surroundings the commands run in (injected, so tests can run the program in-process). */
export interface Runtime {
  env: NodeJS.ProcessEnv;
  io: Io;
  /** PRODUCTION_KDF unless a test builds the program with cheaper parameters. */
  kdf?: KdfPolicy;
}

/** The Context of a running command, from its options merged with the global ones. */
export function contextFor(runtime: Runtime, command: Command): Context {
  return new Context(command.optsWithGlobals<GlobalOptions>(), runtime.env, runtime.io, runtime.kdf);
}
