import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { CliError } from './errors';

export interface FileLockOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** A lock older than this is taken over even when its owner cannot be checked. */
  staleMs?: number;
}

const RETRY_MS = 25;

/**
 * Runs `fn` while holding an exclusive lock on `lockPath` (a file created with O_EXCL holding the
 * owner's pid and a random token). Used for the credentials file, so two `coffer` processes never
 * both spend the same rotating refresh token. A lock whose process died is taken over; the
 * critical section may include a network round trip, hence the long default staleness.
 *
 * libs/crypto has the same primitive for the vault, but does not export it.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const staleMs = options.staleMs ?? 120_000;
  const content = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  while (!(await tryCreate(lockPath, content))) {
    const held = await readLock(lockPath);
    if (held !== undefined && isStale(held, staleMs)) {
      await removeIfUnchanged(lockPath, held.content);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new CliError(`timed out waiting for the lock ${lockPath}`, 'Another coffer process holds it; if none is running, delete that file.');
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS + Math.random() * RETRY_MS));
  }
  try {
    return await fn();
  } finally {
    if ((await readLock(lockPath))?.content === content) await rm(lockPath, { force: true });
  }
}

async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function readLock(lockPath: string): Promise<{ content: string; modifiedAt: number } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { content, modifiedAt: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(held: { content: string; modifiedAt: number }, staleMs: number): boolean {
  if (Date.now() - held.modifiedAt > staleMs) return true;
  const pid = Number.parseInt(held.content, 10);
  // An empty lock file is one being written right now: only its age can condemn it.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves a stale lock aside and deletes it only if it is still the one judged stale. */
async function removeIfUnchanged(lockPath: string, staleContent: string): Promise<void> {
  const aside = `${lockPath}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((await readFile(aside, 'utf8')) === staleContent) await rm(aside, { force: true });
  else await rename(aside, lockPath);
}
