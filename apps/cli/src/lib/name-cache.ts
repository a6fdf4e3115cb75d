import { join } from 'node:path';
import { ensurePrivateDir, withFileLock, writeFileAtomic } from '@coffer/state-files';
import type { Context } from './context';
import { readJsonFile } from './state-files';

/**
 * `names.json` in COFFER_HOME (0600): the real names of files whose name the server only holds
 * encrypted (`{"<file id>": "name"}`), written at upload and at decrypt so `coffer files list`
 * can show them without a password. Best effort: a cache that cannot be read or written only
 * means `(encrypted)` in the list.
 */
const KEPT_NAMES = 10_000;

function namesFile(ctx: Context): string {
  return join(ctx.home, 'names.json');
}

export async function cachedNames(ctx: Context): Promise<Record<string, string>> {
  const value = await readJsonFile<unknown>(namesFile(ctx)).catch(() => undefined);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export async function rememberNames(ctx: Context, names: Record<string, string>): Promise<void> {
  if (Object.keys(names).length === 0) return;
  try {
    await ensurePrivateDir(ctx.home);
    await withFileLock(`${namesFile(ctx)}.lock`, async () => {
      const kept = Object.entries(await cachedNames(ctx)).filter(([id]) => !(id in names));
      kept.push(...Object.entries(names));
      await writeFileAtomic(namesFile(ctx), `${JSON.stringify(Object.fromEntries(kept.slice(-KEPT_NAMES)), null, 2)}\n`);
    });
  } catch (error) {
    ctx.out.debug(`could not keep the file names: ${(error as Error).message}`);
  }
}

/** The name to show for a file: the server's, or for one whose name it holds only encrypted, the cached one. */
export async function shownName(ctx: Context, file: { file_id: string; file_name: string; encrypted_metadata?: string | null }): Promise<string> {
  return file.encrypted_metadata ? ((await cachedNames(ctx))[file.file_id] ?? '(encrypted)') : file.file_name;
}
