import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobParts, FULL_FRAME_BYTES } from '@coffer/crypto';
import { SourceChanged, SourceHasher } from './source-hasher';

const CHUNK = 65_536;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('SourceHasher', () => {
  let dir: string;
  let handle: FileHandle | undefined;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'coffer-hasher-'))));
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function source(bytes: Buffer): Promise<number> {
    const path = join(dir, randomBytes(4).toString('hex'));
    writeFileSync(path, bytes);
    handle = await open(path, 'r');
    return handle.fd;
  }

  it('hashes the whole file and binds each part before releasing it, in order', async () => {
    const bytes = randomBytes(5 * CHUNK + 9);
    const parts = blobParts(bytes.length, 2 * FULL_FRAME_BYTES);
    const bound = new Map<number, string>();
    const released: number[] = [];
    const hasher = new SourceHasher(await source(bytes), parts, () => undefined, () => false, async (n, hash) => void bound.set(n, hash), 10);
    for (const part of parts) void hasher.hashed(part.partNumber).then(() => released.push(part.partNumber));
    expect(await hasher.run()).toBe(sha256(bytes));
    expect(released).toEqual([1, 2, 3]);
    for (const part of parts) expect(bound.get(part.partNumber)).toBe(sha256(bytes.subarray(part.offset, part.offset + part.size)));
  });

  it('refuses a part whose bytes differ from the hash bound earlier, before releasing it', async () => {
    const bytes = randomBytes(4 * CHUNK);
    const parts = blobParts(bytes.length, FULL_FRAME_BYTES);
    const earlier = (n: number) => (n === 3 ? sha256(Buffer.from('other bytes')) : sha256(bytes.subarray((n - 1) * CHUNK, n * CHUNK)));
    const hasher = new SourceHasher(await source(bytes), parts, earlier, () => true, async () => undefined, 10);
    const running = hasher.run();
    await hasher.hashed(2);
    await expect(running).rejects.toEqual(expect.objectContaining({ name: 'SourceChanged', whileVerifying: true }));
    await expect(hasher.hashed(3)).rejects.toBeInstanceOf(SourceChanged);
  });

  it('fails with SourceChanged when the file got shorter', async () => {
    const bytes = randomBytes(2 * CHUNK);
    const parts = blobParts(3 * CHUNK, FULL_FRAME_BYTES);
    const hasher = new SourceHasher(await source(bytes), parts, () => undefined, () => false, async () => undefined, 10);
    await expect(hasher.run()).rejects.toBeInstanceOf(SourceChanged);
  });

  it('runs at most `window` unsent parts ahead of the senders', async () => {
    const bytes = randomBytes(6 * CHUNK);
    const parts = blobParts(bytes.length, FULL_FRAME_BYTES);
    const bound: number[] = [];
    const hasher = new SourceHasher(await source(bytes), parts, () => undefined, () => false, async (n) => void bound.push(n), 2);
    const running = hasher.run();
    await hasher.hashed(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bound).toEqual([1, 2]);
    hasher.claimed();
    await hasher.hashed(3);
    for (let i = 0; i < 4; i++) hasher.claimed();
    await expect(running).resolves.toBe(sha256(bytes));
  });
});
