import type { Context } from './context';
import { CliError } from './errors';
import { ensurePrivateDir, writeFileAtomic } from '@coffer/state-files';
import { readJsonFile, removeFile } from './state-files';

/** `credentials.json` in COFFER_HOME (mode 0600): the tokens of one login on one server. */
export interface Credentials {
  server: string;
  email: string;
  access_token: string;
  refresh_token: string;
}

export async function loadCredentials(ctx: Context): Promise<Credentials | undefined> {
  let value: unknown;
  try {
    value = await readJsonFile<unknown>(ctx.credentialsFile);
  } catch (error) {
    throw new CliError(`cannot read ${ctx.credentialsFile}: ${(error as Error).message}`, 'Delete the file and run `coffer auth login`.');
  }
  if (value === undefined) return undefined;
  if (!isCredentials(value)) {
    throw new CliError(`${ctx.credentialsFile} is not a valid credentials file`, 'Delete the file and run `coffer auth login`.');
  }
  return value;
}

export async function saveCredentials(ctx: Context, credentials: Credentials): Promise<void> {
  await ensurePrivateDir(ctx.home);
  await writeFileAtomic(ctx.credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`);
}

export async function clearCredentials(ctx: Context): Promise<boolean> {
  return removeFile(ctx.credentialsFile);
}

function isCredentials(value: unknown): value is Credentials {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['server', 'email', 'access_token', 'refresh_token'].every((k) => typeof v[k] === 'string');
}
