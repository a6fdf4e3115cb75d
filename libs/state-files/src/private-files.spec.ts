import { mkdtemp, readdir, readFile, rm, stat, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from './private-files';

describe('private files', () => {
  let dir: string;
  const originalUmask = process.umask();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-private-'));
  });
  afterEach(async () => {
    process.umask(originalUmask);
    await rm(dir, { recursive: true, force: true });
  });

  it.each([0o000, 0o022, 0o277])('writes files with mode 0600 whatever the umask (%o)', async (umask) => {
    process.umask(umask);
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, Buffer.from('first'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, Buffer.from('first'));
    await writeFileAtomic(path, Buffer.from('second'));
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('removes the temporary file when the rename fails', async () => {
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, Buffer.from('x'))).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied']);
  });

  it('creates directories with mode 0700 and tightens existing ones', async () => {
    process.umask(0o000);
    const nested = join(dir, 'a', 'vault');
    await ensurePrivateDir(nested);
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    await chmod(nested, 0o755);
    await ensurePrivateDir(nested);
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
  });
});
