import { CliError } from './errors';
import { writeFileAtomic } from '@coffer/state-files';
import { readJsonFile } from './state-files';

/** `config.json` in COFFER_HOME. */
export interface CofferConfig {
  server?: string;
}

export async function readConfig(path: string): Promise<CofferConfig | undefined> {
  try {
    const config = await readJsonFile<CofferConfig>(path);
    if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) throw new Error('not an object');
    return config;
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, 'Fix or delete the file, then set the server again with `coffer config set-server <url>`.');
  }
}

export async function writeConfig(path: string, config: CofferConfig): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
}
