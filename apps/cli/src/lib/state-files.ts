import { readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** State directory: `COFFER_HOME`, else `~/.coffer`. */
export function resolveHome(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.COFFER_HOME?.trim();
  return fromEnv ? fromEnv : join(homedir(), '.coffer');
}

/** Parsed JSON of `path`, or `undefined` when the file does not exist. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
