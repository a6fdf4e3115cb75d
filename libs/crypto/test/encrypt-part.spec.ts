import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobParts, blobSize, decrypt, encrypt, encryptPart, FileChangedError, FULL_FRAME_BYTES, pipeTo, randomDek } from '@coffer/crypto';
import { CHUNK, collect, patterned } from './helpers';

// Tens of MiB through AES-GCM and SHA-256 on a shared machine.
jest.setTimeout(60_000);

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const FRAME = FULL_FRAME_BYTES;

describe('blobParts', () => {
  it.each([
    { size: 0, framesPerPart: 1 },
    { size: 1, framesPerPart: 1 },
    { size: CHUNK, framesPerPart: 1 },
    { size: 3 * CHUNK, framesPerPart: 1 },
    { size: 3 * CHUNK + 1, framesPerPart: 2 },
    { size: 128 * CHUNK, framesPerPart: 128 },
    { size: 300 * CHUNK - 5, framesPerPart: 128 },
  ])('cuts $size bytes into parts of $framesPerPart frames that add up to the blob', ({ size, framesPerPart }) => {
    const parts = blobParts(size, framesPerPart * FRAME);
    expect(parts.reduce((sum, part) => sum + part.encryptedSize, 0)).toBe(blobSize(size));
    expect(parts.reduce((sum, part) => sum + part.size, 0)).toBe(size);
    parts.forEach((part, index) => {
      expect(part.partNumber).toBe(index + 1);
      expect(part.isLast).toBe(index === parts.length - 1);
      if (!part.isLast) expect(part.encryptedSize).toBe(framesPerPart * FRAME);
      expect(part.encryptedSize).toBe(blobSize(part.size));
    });
  });

  it('refuses a part size that is not whole frames', () => {
    expect(() => blobParts(10, FRAME + 1)).toThrow(RangeError);
    expect(() => blobParts(10, 0)).toThrow(RangeError);
  });
});

describe('encryptPart', () => {
  let dir: string;
  let handle: FileHandle | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-part-'));
  });
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fileWith(bytes: Buffer): Promise<number> {
    const path = join(dir, `p-${randomBytes(4).toString('hex')}`);
    writeFileSync(path, bytes);
    handle = await open(path, 'r');
    return handle.fd;
  }

  // Sizes around frames and 1 MiB slots; parts both inline and (above 8 MiB) hashed on the worker.
  it.each([
    { size: 0, framesPerPart: 2 },
    { size: 1, framesPerPart: 2 },
    { size: 5 * CHUNK, framesPerPart: 2 },
    { size: 5 * CHUNK + 17, framesPerPart: 2 },
    { size: 40 * CHUNK + 3, framesPerPart: 16 },
    { size: 40 * CHUNK, framesPerPart: 17 },
    { size: 300 * CHUNK + 99, framesPerPart: 130 },
  ])('parts of $size bytes ($framesPerPart frames each) concatenate to the single-stream blob', async ({ size, framesPerPart }) => {
    const plaintext = randomBytes(size);
    const key = randomDek();
    const fd = await fileWith(plaintext);
    const whole = encrypt({ fd, size }, key);
    const reference = await collect(whole);
    const pieces: Buffer[] = [];
    for (const part of blobParts(size, framesPerPart * FRAME)) {
      const blob = encryptPart({ fd, offset: part.offset, size: part.size }, key, { noncePrefix: whole.noncePrefix, firstFrame: part.firstFrame, isLast: part.isLast });
      expect(blob.commitment).toBe(whole.commitment);
      const bytes = await collect(blob);
      expect(bytes.length).toBe(part.encryptedSize);
      expect(await blob.result).toEqual({ sha256: sha256(plaintext.subarray(part.offset, part.offset + part.size)), plaintextSize: part.size });
      pieces.push(bytes);
    }
    const joined = Buffer.concat(pieces);
    expect(joined.equals(reference)).toBe(true);
    // The strict reader accepts it with the commitment and the whole plaintext's hash.
    const decrypted = decrypt((async function* () { yield joined; })(), key, { commitment: whole.commitment, sha256: sha256(plaintext) });
    expect((await collect(decrypted)).equals(plaintext)).toBe(true);
  });

  it('gives the same bytes when parts run four at once through pipeTo, their memory reused from part to part', async () => {
    const size = 40 * CHUNK + 5;
    const plaintext = randomBytes(size);
    const key = randomDek();
    const fd = await fileWith(plaintext);
    const whole = encrypt({ fd, size }, key);
    const reference = await collect(whole);
    const parts = blobParts(size, 2 * FRAME);
    const pieces: Buffer[] = new Array<Buffer>(parts.length);
    const queue = [...parts];
    const worker = async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const copies: Buffer[] = [];
        const blob = encryptPart({ fd, offset: part.offset, size: part.size }, key, { noncePrefix: whole.noncePrefix, firstFrame: part.firstFrame, isLast: part.isLast });
        await pipeTo(blob, {
          async write(piece, done) {
            copies.push(Buffer.from(piece));
            await new Promise((resolve) => setImmediate(resolve));
            done();
          },
        });
        pieces[part.partNumber - 1] = Buffer.concat(copies);
      }
    };
    for (let round = 0; round < 2; round++) {
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(Buffer.concat(pieces).equals(reference)).toBe(true);
      queue.push(...parts);
    }
  });

  it('sets the final flag only on the last part, so parts without it do not decrypt as a blob', async () => {
    const plaintext = patterned(4 * CHUNK);
    const key = randomDek();
    const fd = await fileWith(plaintext);
    const prefix = randomBytes(7);
    const first = await collect(encryptPart({ fd, offset: 0, size: 2 * CHUNK }, key, { noncePrefix: prefix, firstFrame: 0, isLast: false }));
    await expect(collect(decrypt((async function* () { yield first; })(), key))).rejects.toThrow('decryption failed');
  });

  it('refuses placements that would not line up with whole frames', async () => {
    const fd = await fileWith(randomBytes(3 * CHUNK));
    const key = randomDek();
    const noncePrefix = randomBytes(7);
    expect(() => encryptPart({ fd, offset: 0, size: CHUNK + 1 }, key, { noncePrefix, firstFrame: 0, isLast: false })).toThrow(RangeError);
    expect(() => encryptPart({ fd, offset: CHUNK, size: CHUNK }, key, { noncePrefix, firstFrame: 0, isLast: false })).toThrow(RangeError);
    expect(() => encryptPart({ fd, offset: CHUNK, size: 0 }, key, { noncePrefix, firstFrame: 1, isLast: true })).toThrow(RangeError);
    expect(() => encryptPart({ fd, offset: 0, size: 0 }, key, { noncePrefix, firstFrame: 0, isLast: false })).toThrow(RangeError);
    expect(() => encryptPart({ fd, offset: 0, size: CHUNK }, key, { noncePrefix: randomBytes(6), firstFrame: 0, isLast: false })).toThrow(RangeError);
  });

  it('fails with FileChangedError when the file is shorter than the part', async () => {
    const fd = await fileWith(randomBytes(2 * CHUNK));
    const blob = encryptPart({ fd, offset: CHUNK, size: 2 * CHUNK }, randomDek(), { noncePrefix: randomBytes(7), firstFrame: 1, isLast: true });
    await expect(collect(blob)).rejects.toBeInstanceOf(FileChangedError);
  });
});
