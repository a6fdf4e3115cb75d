import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock';

describe('withFileLock', () => {
  let dir: string;
  let lockPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-lock-'));
    lockPath = join(dir, 'vault.lock');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const exists = (path: string) => stat(path).then(() => true, () => false);
  const lockOf = (pid: number, createdAt: number) => JSON.stringify({ pid, host: hostname(), createdAt, token: 'other' });

  it('holds a 0600 lock file naming this process while the action runs, and removes it after', async () => {
    const result = await withFileLock(lockPath, async () => {
      expect((await stat(lockPath)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
      return 42;
    });
    expect(result).toBe(42);
    expect(await exists(lockPath)).toBe(false);
  });

  it('releases the lock when the action throws', async () => {
    await expect(withFileLock(lockPath, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await exists(lockPath)).toBe(false);
  });

  it('lets one holder in at a time', async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lockPath, async () => {
          maxInside = Math.max(maxInside, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it('takes over a lock whose process is dead', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockPath, lockOf(deadPid, Date.now()));
    await expect(withFileLock(lockPath, async () => 'got it', { timeoutMs: 1_000 })).resolves.toBe('got it');
  });

  it('takes over a lock older than staleMs even if its process lives', async () => {
    await writeFile(lockPath, lockOf(process.pid, Date.now() - 60_000));
    await expect(withFileLock(lockPath, async () => 'got it', { staleMs: 30_000, timeoutMs: 1_000 })).resolves.toBe('got it');
  });

  it('waits for a live lock and then names its holder when it gives up', async () => {
    const held = lockOf(process.pid, Date.now());
    await writeFile(lockPath, held);
    await expect(withFileLock(lockPath, async () => 'never', { timeoutMs: 150 })).rejects.toThrow(
      `timed out after 150 ms waiting for the lock ${lockPath} (held by pid ${process.pid} on ${hostname()})`,
    );
    expect(await readFile(lockPath, 'utf8')).toBe(held);
  });

  it('judges an unreadable lock (perhaps being written) by its age only', async () => {
    await writeFile(lockPath, '');
    await expect(withFileLock(lockPath, async () => 'never', { staleMs: 5_000, timeoutMs: 150 })).rejects.toThrow('held by an unknown process');
    const old = new Date(Date.now() - 10_000);
    await utimes(lockPath, old, old);
    await expect(withFileLock(lockPath, async () => 'got it', { staleMs: 5_000, timeoutMs: 150 })).resolves.toBe('got it');
  });

  it('does not remove a lock that someone else took over meanwhile', async () => {
    await withFileLock(lockPath, async () => {
      await writeFile(lockPath, lockOf(process.pid, Date.now()));
    });
    expect(await exists(lockPath)).toBe(true);
  });
});
