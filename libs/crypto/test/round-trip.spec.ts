import { createHash, randomBytes } from 'node:crypto';
import { blobSize, decrypt, encrypt, randomDek } from '@coffer/crypto';
import { decryptWith } from '../src/stream/decrypt';
import { encryptWith } from '../src/stream/encrypt';
import { CHUNK, chunked, collect, encryptToBuffer } from './helpers';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// 1- and 7-byte source chunks make every read straddle chunks; they stay on the smaller sizes for speed.
const smallSizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 4_321];
const largeSizes = [3 * 1024 * 1024 + 5];
const cases = [
  ...smallSizes.flatMap((size) => [1, 7, CHUNK, 1024 * 1024].map((sourceChunk) => ({ size, sourceChunk }))),
  ...largeSizes.flatMap((size) => [CHUNK, 100_003, 1024 * 1024].map((sourceChunk) => ({ size, sourceChunk }))),
];

describe('encrypt and decrypt', () => {
  const key = randomDek();

  it.each(cases)('round-trips $size bytes read in $sourceChunk-byte source chunks', async ({ size, sourceChunk }) => {
    const plaintext = randomBytes(size);
    const { bytes, result } = await encryptToBuffer(plaintext, key, {}, sourceChunk);

    expect(bytes.length).toBe(blobSize(size));
    expect(result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });

    const stream = decrypt(chunked(bytes, sourceChunk), key);
    expect((await collect(stream)).equals(plaintext)).toBe(true);
    expect(await stream.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size, legacy: false });
  });

  it('writes the same blob however the plaintext source is chunked', async () => {
    const plaintext = randomBytes(2 * CHUNK + 99);
    const noncePrefix = randomBytes(7);
    const blobs = await Promise.all(
      [1, 7, 4096, CHUNK, CHUNK + 1, 1024 * 1024].map(async (sourceChunk) => (await encryptToBuffer(plaintext, key, { noncePrefix }, sourceChunk)).bytes),
    );
    for (const blob of blobs) expect(blob.equals(blobs[0])).toBe(true);
  });

  it('hashes on a worker thread with the same results', async () => {
    const plaintext = randomBytes(5 * 256 * 1024 + 17);
    const inline = await encryptToBuffer(plaintext, key, {}, 100_000);
    const onWorker = await encryptToBuffer(plaintext, key, { noncePrefix: inline.noncePrefix }, 100_000, true);
    expect(onWorker.bytes.equals(inline.bytes)).toBe(true);
    expect(onWorker.result).toEqual({ sha256: sha256(plaintext), plaintextSize: plaintext.length });

    const stream = decryptWith(chunked(onWorker.bytes, 100_000), key, { sha256: sha256(plaintext) }, true);
    expect((await collect(stream)).equals(plaintext)).toBe(true);
    expect(await stream.result).toEqual({ sha256: sha256(plaintext), plaintextSize: plaintext.length, legacy: false });
  });

  it('emits output chunks of at most sixteen frames, and one frame per plaintext chunk', async () => {
    const sizes: number[] = [];
    for await (const piece of encrypt(chunked(randomBytes(33 * CHUNK), CHUNK), key)) sizes.push(piece.length);
    expect(sizes).toEqual([16 * (CHUNK + 32), 16 * (CHUNK + 32), CHUNK + 32]);
  });

  it('knows the nonce prefix and key commitment before reading anything', () => {
    const blob = encrypt(chunked(Buffer.alloc(0), 1), key, { noncePrefix: Buffer.from('00112233445566', 'hex') });
    expect(blob.noncePrefix.toString('hex')).toBe('00112233445566');
    expect(blob.commitment).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('uses a fresh random nonce prefix per blob', async () => {
    const first = await encryptToBuffer(Buffer.from('same'), key);
    const second = await encryptToBuffer(Buffer.from('same'), key);
    expect(first.noncePrefix.equals(second.noncePrefix)).toBe(false);
    expect(first.bytes.subarray(0, 7).equals(first.noncePrefix)).toBe(true);
  });

  it('rejects keys and nonce prefixes of the wrong size before reading', () => {
    const src = chunked(Buffer.alloc(1), 1);
    expect(() => encrypt(src, randomBytes(31))).toThrow('key must be 32 bytes, got 31');
    expect(() => decrypt(src, randomBytes(16))).toThrow('key must be 32 bytes, got 16');
    expect(() => encrypt(src, key, { noncePrefix: randomBytes(8) })).toThrow('nonce prefix must be 7 bytes, got 8');
  });

  it('passes a source error through to both the stream and its result', async () => {
    async function* failing() {
      yield randomBytes(CHUNK + 1);
      throw new Error('disk on fire');
    }
    const blob = encrypt(failing(), key);
    await expect(collect(blob)).rejects.toThrow('disk on fire');
    await expect(blob.result).rejects.toThrow('disk on fire');
  });

  it('closes the source and rejects the result when the reader stops early', async () => {
    let closed = false;
    async function* endless() {
      try {
        for (;;) yield randomBytes(CHUNK);
      } finally {
        closed = true;
      }
    }
    const blob = encryptWith(endless(), key, {}, true);
    for await (const piece of blob) {
      expect(piece.length).toBe(16 * (CHUNK + 32));
      break;
    }
    expect(closed).toBe(true);
    await expect(blob.result).rejects.toThrow('the stream was closed before its end');
  });

  it('can be read only once', async () => {
    const blob = encrypt(chunked(Buffer.from('x'), 1), key);
    await collect(blob);
    expect(() => blob[Symbol.asyncIterator]()).toThrow('this stream can be read only once');
  });
});

describe('blobSize', () => {
  it.each([
    [0, 32],
    [1, 33],
    [CHUNK, CHUNK + 32],
    [CHUNK + 1, CHUNK + 1 + 64],
    [1024 ** 3, 1024 ** 3 + 32 * 16_384],
  ])('is %d -> %d', (plaintextSize, expected) => {
    expect(blobSize(plaintextSize)).toBe(expected);
  });

  it('rejects sizes that are not non-negative integers', () => {
    expect(() => blobSize(-1)).toThrow(RangeError);
    expect(() => blobSize(1.5)).toThrow(RangeError);
  });
});
