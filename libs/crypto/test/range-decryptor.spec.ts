import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptionError, FRAME_SIZE, RangeDecryptor, randomDek } from '@coffer/crypto';
import { CHUNK, encryptToBuffer } from './helpers';

// The worker runs the compiled library (dist/), as the hash worker does: `npx tsc -b` first.
describe('RangeDecryptor: ranges decrypted on a worker, written in place, hashed in file order (issue 19)', () => {
  const key = randomDek();
  const plaintext = randomBytes(10 * CHUNK + 777);
  const rangeFrames = 3;
  const ranges = 4; // frames 0-2, 3-5, 6-8, 9-10
  let blob: Buffer;
  let prefix: Buffer;
  let dir: string;
  let handle: FileHandle | undefined;
  let decryptor: RangeDecryptor | undefined;

  beforeAll(async () => {
    ({ bytes: blob } = await encryptToBuffer(plaintext, key));
    prefix = blob.subarray(0, 7);
    dir = await mkdtemp(join(tmpdir(), 'coffer-range-decryptor-'));
  });

  afterEach(async () => {
    await decryptor?.close();
    await handle?.close();
    decryptor = undefined;
    handle = undefined;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function start(name: string, source: Buffer = blob, create = true): Promise<{ path: string; ranges: RangeDecryptor }> {
    const path = join(dir, name);
    handle = await open(path, create ? 'w+' : 'r+');
    decryptor = new RangeDecryptor({ key, prefix, blobSize: source.length, rangeFrames, fd: handle.fd, slots: 2 });
    return { path, ranges: decryptor };
  }

  function cipherOf(index: number, source: Buffer = blob): Buffer {
    return source.subarray(index * rangeFrames * FRAME_SIZE, Math.min(source.length, (index + 1) * rangeFrames * FRAME_SIZE));
  }

  async function openRange(ranges: RangeDecryptor, index: number, slot: number, source: Buffer = blob): Promise<string> {
    const cipher = cipherOf(index, source);
    cipher.copy(ranges.slot(slot));
    return ranges.open(index, slot, cipher.length);
  }

  it('writes every range at its place, in any order, and hashes the whole plaintext in order', async () => {
    const { path, ranges } = await start('any-order.bin');
    const proofs = await Promise.all([openRange(ranges, 2, 0), openRange(ranges, 0, 1)]);
    proofs.push(await openRange(ranges, 3, 0), await openRange(ranges, 1, 1));

    expect(await ranges.sha256()).toBe(createHash('sha256').update(plaintext).digest('hex'));
    expect((await readFile(path)).equals(plaintext)).toBe(true);
    expect(new Set(proofs).size).toBe(4);
  });

  it('refuses a range with a changed byte and writes nothing of it', async () => {
    const tampered = Buffer.from(blob);
    tampered[rangeFrames * FRAME_SIZE + 5000] ^= 1;
    const { path, ranges } = await start('tampered.bin', tampered);
    await openRange(ranges, 0, 0, tampered);

    await expect(openRange(ranges, 1, 1, tampered)).rejects.toThrow(DecryptionError);

    expect((await readFile(path)).length).toBe(rangeFrames * CHUNK);
  });

  it('refuses a range handed over as another (its frames sit elsewhere in the blob)', async () => {
    const { ranges } = await start('moved.bin');
    const cipher = cipherOf(1);
    cipher.copy(ranges.slot(0));
    await expect(ranges.open(2, 0, cipher.length)).rejects.toThrow(DecryptionError);
  });

  it('checks the ranges on disk against their proofs by encrypting them again; a changed byte or a wrong proof fails', async () => {
    const first = await start('resumed.bin');
    const proofs = [await openRange(first.ranges, 0, 0), await openRange(first.ranges, 1, 1), await openRange(first.ranges, 2, 0), await openRange(first.ranges, 3, 1)];
    await decryptor!.close();
    await handle!.close();
    decryptor = undefined;
    // A byte of range 1 changes on disk while nothing runs.
    const file = await open(first.path, 'r+');
    await file.write(Buffer.from([plaintext[rangeFrames * CHUNK + 10] ^ 0x80]), 0, 1, rangeFrames * CHUNK + 10);
    await file.close();

    const { path, ranges } = await start('resumed.bin', blob, false);
    const checked = await Promise.all([ranges.check(0, proofs[0]), ranges.check(1, proofs[1]), ranges.check(2, proofs[3]), ranges.check(3, proofs[3])]);

    expect(checked).toEqual([true, false, false, true]);
    await openRange(ranges, 1, 0);
    await openRange(ranges, 2, 1);
    expect(await ranges.sha256()).toBe(createHash('sha256').update(plaintext).digest('hex'));
    expect((await readFile(path)).equals(plaintext)).toBe(true);
  });

  it('finds a range cut short on disk not verified', async () => {
    const first = await start('short.bin');
    const proofs: string[] = [];
    for (let index = 0; index < ranges; index++) proofs.push(await openRange(first.ranges, index, index % 2));
    await decryptor!.close();
    await handle!.close();
    decryptor = undefined;
    const file = await open(first.path, 'r+');
    await file.truncate(plaintext.length - 1);
    await file.close();

    const { ranges: again } = await start('short.bin', blob, false);

    expect(await Promise.all(proofs.map((proof, index) => again.check(index, proof)))).toEqual([true, true, true, false]);
  });

  it('gives no digest before every range is in', async () => {
    const { ranges } = await start('incomplete.bin');
    await openRange(ranges, 0, 0);
    await expect(ranges.sha256()).rejects.toThrow(/ranges were not hashed/);
  });
});
