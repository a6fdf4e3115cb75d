import { createHash, randomBytes } from 'node:crypto';
import { blobSize, encrypt, randomDek } from '@coffer/crypto';
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
