import { createHash, randomBytes } from 'node:crypto';
import { blobSize, encrypt, randomDek, type BlockSource } from '@coffer/crypto';
import { CHUNK, chunked, collect, encryptToBuffer } from './helpers';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const MIB = 1024 * 1024;

describe('encrypt with encryptInWorker', () => {
  const key = randomDek();

  // Around the worker's 1 MiB input slots and 16-frame output slots, and the empty plaintext.
  const sizes = [0, 1, CHUNK, CHUNK + 1, MIB - 1, MIB, MIB + 1, 4 * MIB, 4 * MIB + CHUNK, 5 * MIB + 3];
  it.each(sizes.flatMap((size) => [7_777, MIB, 3 * MIB].map((sourceChunk) => ({ size, sourceChunk }))))(
    'writes the same blob as the inline path for $size bytes in $sourceChunk-byte source chunks',
    async ({ size, sourceChunk }) => {
      const plaintext = randomBytes(size);
      const inline = await encryptToBuffer(plaintext, key, {}, sourceChunk);
      const onWorker = await encryptToBuffer(plaintext, key, { encryptInWorker: true, noncePrefix: inline.noncePrefix }, sourceChunk);
      expect(onWorker.bytes.length).toBe(blobSize(size));
      expect(onWorker.bytes.equals(inline.bytes)).toBe(true);
      expect(onWorker.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });
    },
  );

  it('copies each source chunk before asking for the next, so the source may reuse its memory', async () => {
    const plaintext = randomBytes(3 * MIB + 5);
    const reused = Buffer.alloc(100_000);
    async function* reusing() {
      for (let offset = 0; offset < plaintext.length; offset += reused.length) {
        const n = plaintext.copy(reused, 0, offset, offset + reused.length);
        yield reused.subarray(0, n);
      }
    }
    const inline = await encryptToBuffer(plaintext, key);
    const blob = encrypt(reusing(), key, { encryptInWorker: true, noncePrefix: inline.noncePrefix });
    expect((await collect(blob)).equals(inline.bytes)).toBe(true);
  });

  it('reuses recycled output chunks without changing the output', async () => {
    const plaintext = randomBytes(6 * MIB + 9);
    const inline = await encryptToBuffer(plaintext, key);
    const blob = encrypt(chunked(plaintext, MIB), key, { encryptInWorker: true, noncePrefix: inline.noncePrefix });
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const piece of blob) {
      copies.push(Buffer.from(piece));
      buffers.add(piece.buffer);
      blob.recycle(piece);
    }
    expect(Buffer.concat(copies).equals(inline.bytes)).toBe(true);
    expect(buffers.size).toBeLessThan(copies.length);
  });

  /** Reads `data` into the memory it is given, at most `maxRead` bytes at a time. */
  function blockSource(data: Buffer, maxRead: number, failAt?: number): BlockSource {
    let offset = 0;
    return {
      async readInto(target) {
        if (failAt !== undefined && offset >= failAt) throw new Error('read failed');
        const n = data.copy(target, 0, offset, offset + Math.min(maxRead, target.length));
        offset += n;
        return n;
      },
    };
  }

  it.each([0, 1, CHUNK, MIB, MIB + 1, 4 * MIB + CHUNK, 5 * MIB + 3].flatMap((size) => [9_999, 4 * MIB].map((maxRead) => ({ size, maxRead }))))(
    'reads a block source of $size bytes straight into the ring ($maxRead-byte reads), on both paths',
    async ({ size, maxRead }) => {
      const plaintext = randomBytes(size);
      const inline = await encryptToBuffer(plaintext, key);
      for (const options of [{ encryptInWorker: true }, {}]) {
        const blob = encrypt(blockSource(plaintext, maxRead), key, { ...options, noncePrefix: inline.noncePrefix });
        expect((await collect(blob)).equals(inline.bytes)).toBe(true);
        expect(await blob.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });
      }
    },
  );

  it('fails with a block source error', async () => {
    const blob = encrypt(blockSource(randomBytes(6 * MIB), MIB, 3 * MIB), key, { encryptInWorker: true });
    await expect(collect(blob)).rejects.toThrow('read failed');
    await expect(blob.result).rejects.toThrow('read failed');
  });

  it('lends views of its output ring that, given back in order, make the same blob', async () => {
    const plaintext = randomBytes(9 * MIB + 17);
    const inline = await encryptToBuffer(plaintext, key);
    const blob = encrypt(chunked(plaintext, MIB), key, { encryptInWorker: true, lendOutput: true, noncePrefix: inline.noncePrefix });
    const copies: Buffer[] = [];
    const lent: { piece: Uint8Array; copy: Buffer }[] = [];
    const rings = new Set<ArrayBufferLike>();
    let intact = true;
    const giveBack = () => {
      const { piece, copy } = lent.shift()!;
      // Nothing may have overwritten a chunk while it was lent.
      intact &&= copy.equals(piece);
      blob.recycle(piece);
    };
    for await (const piece of blob) {
      const copy = Buffer.from(piece);
      copies.push(copy);
      rings.add(piece.buffer);
      // Hold up to two chunks, as a socket with writes in flight does.
      lent.push({ piece, copy });
      if (lent.length > 2) giveBack();
    }
    while (lent.length > 0) giveBack();
    expect(intact).toBe(true);
    expect(Buffer.concat(copies).equals(inline.bytes)).toBe(true);
    expect(rings.size).toBe(1);
    expect([...rings][0]).toBeInstanceOf(SharedArrayBuffer);
  });

  it('fails with the source error and stops the worker', async () => {
    async function* failing() {
      yield randomBytes(3 * MIB);
      throw new Error('read failed');
    }
    const blob = encrypt(failing(), key, { encryptInWorker: true });
    await expect(collect(blob)).rejects.toThrow('read failed');
    await expect(blob.result).rejects.toThrow('read failed');
  });

  it('rejects result when the reader stops early', async () => {
    async function* endless() {
      for (;;) yield randomBytes(MIB);
    }
    const blob = encrypt(endless(), key, { encryptInWorker: true });
    let pieces = 0;
    for await (const _piece of blob) if (++pieces === 3) break;
    await expect(blob.result).rejects.toThrow('closed before its end');
  });
});
