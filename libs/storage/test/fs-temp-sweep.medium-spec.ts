import { randomBytes } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFsBlobServer, type FsBlobServer } from './fs-blob-server';

const HOUR_MS = 60 * 60_000;

// A server killed in the middle of an upload leaves the upload's temporary file behind.
describe('FsObjectStore.sweepStaleTempFiles', () => {
  let fs: FsBlobServer;

  beforeEach(async () => {
    fs = await startFsBlobServer();
  });

  afterEach(async () => {
    await fs?.stop();
  });

  async function leftover(directory: string, name: string, ageMs: number): Promise<string> {
    const path = join(fs.root, directory, name);
    await writeFile(path, randomBytes(100));
    const then = new Date(Date.now() - ageMs);
    await utimes(path, then, then);
    return name;
  }

  it('deletes temporary files idle for longer than the given time, and nothing else', async () => {
    const put = await fs.store.presignPut('usrh-a/object-1', { contentLength: 3, expiresInSec: 60 });
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'abc' })).status).toBe(200);
    await leftover('usrh-a', `object-2~${randomBytes(8).toString('hex')}.part`, 2 * HOUR_MS);
    const fresh = await leftover('usrh-a', `object-3~${randomBytes(8).toString('hex')}.part`, 60_000);
    const unrelated = await leftover('usrh-a', 'notes~draft.part', 2 * HOUR_MS);

    const deleted = await fs.store.sweepStaleTempFiles(HOUR_MS);

    expect(deleted).toBe(1);
    expect((await readdir(join(fs.root, 'usrh-a'))).sort()).toEqual(['object-1', fresh, unrelated].sort());
    expect(await fs.store.head('usrh-a/object-1')).toEqual({ size: 3 });
  });

  it('finds them at any depth and in every owner directory', async () => {
    for (const key of ['usrh-a/x', 'usrh-b/deep/er/y']) {
      const put = await fs.store.presignPut(key, { contentLength: 1, expiresInSec: 60 });
      expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'z' })).status).toBe(200);
    }
    await leftover('usrh-a', `x~${randomBytes(8).toString('hex')}.part`, 3 * HOUR_MS);
    await leftover('usrh-b/deep/er', `y~${randomBytes(8).toString('hex')}.part`, 3 * HOUR_MS);

    expect(await fs.store.sweepStaleTempFiles(HOUR_MS)).toBe(2);
    expect(await fs.store.sweepStaleTempFiles(HOUR_MS)).toBe(0);
    expect(await readdir(join(fs.root, 'usrh-b/deep/er'))).toEqual(['y']);
  });
});
