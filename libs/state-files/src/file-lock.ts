import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { PRIVATE_FILE_MODE } from './private-files';

export interface FileLockOptions {
  /** A lock older than this, or held by a dead process on this host, may be taken over. */
  staleMs?: number;
  /** Give up waiting after this long. */
  timeoutMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  createdAt: number;
  token: string;
}

/** Waiting for a lock took longer than its `timeoutMs`. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

const DEFAULT_STALE_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 20_000;
const FIRST_RETRY_DELAY_MS = 5;
const MAX_RETRY_DELAY_MS = 100;

/**
 * Runs `action` while holding an exclusive lock file (created with O_EXCL; it holds pid, host,
 * time and a random token). Waiters retry with jittered exponential backoff and take over a
 * stale lock. Meant for critical sections of milliseconds, like a read-modify-write of a file.
 */
export async function withFileLock<T>(lockPath: string, action: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), createdAt: Date.now(), token: randomBytes(12).toString('hex') };
  const content = JSON.stringify(owner);
  await acquire(lockPath, content, options.staleMs ?? DEFAULT_STALE_MS, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await action();
  } finally {
    // Only our own lock is removed: after a takeover the file belongs to someone else.
    if ((await readLock(lockPath))?.content === content) await rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string, content: string, staleMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = FIRST_RETRY_DELAY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
    if (await tryCreate(lockPath, content)) return;
    const held = await readLock(lockPath);
    if (held === undefined) continue;
    if (isStale(held, staleMs)) {
      await removeIfUnchanged(lockPath, held.content);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(`timed out after ${timeoutMs} ms waiting for the lock ${lockPath} (held by ${describe(held.content)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay));
  }
}

async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function readLock(lockPath: string): Promise<{ content: string; modifiedAt: number } | undefined> {
  try {
    const [content, stats] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { content, modifiedAt: stats.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(held: { content: string; modifiedAt: number }, staleMs: number): boolean {
  const owner = parseOwner(held.content);
  // An unreadable lock may be one being written right now: only its age can condemn it.
  if (owner === undefined) return Date.now() - held.modifiedAt > staleMs;
  return Date.now() - owner.createdAt > staleMs || (owner.host === hostname() && !isProcessAlive(owner.pid));
}

/**
 * Takes a stale lock away without ever deleting a fresh one: the lock is renamed aside atomically
 * and deleted only if it is still the stale one we judged; otherwise another waiter already
 * replaced it, and it is put back.
 */
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

function parseOwner(content: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(content) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.createdAt === 'number'
      ? (owner as LockOwner)
      : undefined;
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(content: string): string {
  const owner = parseOwner(content);
  return owner ? `pid ${owner.pid} on ${owner.host}` : 'an unknown process';
}
