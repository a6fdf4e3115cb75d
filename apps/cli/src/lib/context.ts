import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { readConfig } from './config-store';
import { UsageError } from './errors';
import { PRODUCTION_KDF, type KdfPolicy } from './kdf-policy';
import { Output } from './output';
import { DEFAULT_SERVER, normalizeServerUrl } from './server-url';
import { resolveHome } from './state-files';

export interface Io {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

/** Options every command accepts (defined on the root command). */
export interface GlobalOptions {
  server?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface ServerChoice {
  url: string;
  source: 'flag' | 'env' | 'config' | 'default';
}

/** Everything a command needs from its surroundings: options, environment, streams and paths. */
export class Context {
  readonly home: string;
  readonly out: Output;
  private stdinTaken: string | undefined;
  private serverChoice: ServerChoice | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: NodeJS.ProcessEnv,
    readonly io: Io,
    readonly kdf: KdfPolicy = PRODUCTION_KDF,
  ) {
    this.home = resolveHome(env);
    this.out = new Output(io.stdout, io.stderr, globals.json === true, globals.verbose === true);
  }

  get configFile(): string {
    return join(this.home, 'config.json');
  }
  get credentialsFile(): string {
    return join(this.home, 'credentials.json');
  }
  get credentialsLock(): string {
    return join(this.home, 'credentials.lock');
  }
  get vaultDir(): string {
    return join(this.home, 'vault');
  }

  /** The server to talk to: `--server`, else `COFFER_SERVER`, else `coffer config`, else the local default. */
  async server(): Promise<ServerChoice> {
    if (!this.serverChoice) this.serverChoice = await this.resolveServer();
    return this.serverChoice;
  }

  /** Whether prompts are possible (stdin is a terminal). */
  get interactive(): boolean {
    return this.io.stdin.isTTY === true;
  }

  /** Standard input can feed one secret per run; `purpose` names the option that takes it. */
  claimStdin(purpose: string): void {
    if (this.stdinTaken && this.stdinTaken !== purpose) {
      throw new UsageError(`${purpose} and ${this.stdinTaken} cannot both read standard input`, 'Give one of the secrets another way (environment variable or file).');
    }
    this.stdinTaken = purpose;
  }

  private async resolveServer(): Promise<ServerChoice> {
    if (this.globals.server) return { url: normalizeServerUrl(this.globals.server, '--server'), source: 'flag' };
    const fromEnv = this.env.COFFER_SERVER?.trim();
    if (fromEnv) return { url: normalizeServerUrl(fromEnv, 'COFFER_SERVER'), source: 'env' };
    const config = await readConfig(this.configFile);
    if (config?.server) return { url: normalizeServerUrl(config.server, this.configFile), source: 'config' };
    return { url: DEFAULT_SERVER, source: 'default' };
  }
}
