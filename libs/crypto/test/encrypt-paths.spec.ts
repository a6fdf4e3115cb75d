import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobSize, decrypt, encrypt, FileChangedError, pipeTo, prestartEncryptWorker, randomDek, type EncryptOptions } from '@coffer/crypto';
import { encryptWith } from '../src/stream/encrypt';
import { CHUNK, chunked, collect, encryptToBuffer } from './helpers';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const MIB = 1024 * 1024;

/** Hashing on the worker ring, whatever the size. */
const onWorker = (src: Parameters<typeof encrypt>[0], key: Uint8Array, options: EncryptOptions = {}) => encryptWith(src, key, options, true);
const inline = (src: Parameters<typeof encrypt>[0], key: Uint8Array, options: EncryptOptions = {}) => encryptWith(src, key, options, false);

describe('encrypt with SHA-256 on the worker ring', () => {
  const key = randomDek();

  // Around the 1 MiB input slots (16 frames per output chunk), and the empty plaintext.
  const sizes = [0, 1, CHUNK, CHUNK + 1, MIB - 1, MIB, MIB + 1, 4 * MIB, 4 * MIB + CHUNK, 5 * MIB + 3];
  it.each(sizes.flatMap((size) => [7_777, MIB, 3 * MIB].map((sourceChunk) => ({ size, sourceChunk }))))(
    'writes the same blob as the inline hash for $size bytes in $sourceChunk-byte source chunks',
    async ({ size, sourceChunk }) => {
      const plaintext = randomBytes(size);
      const reference = await encryptToBuffer(plaintext, key, {}, sourceChunk, false);
      const ring = await encryptToBuffer(plaintext, key, { noncePrefix: reference.noncePrefix }, sourceChunk, true);
      expect(ring.bytes.length).toBe(blobSize(size));
      expect(ring.bytes.equals(reference.bytes)).toBe(true);
      expect(ring.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });
      // Both could be wrong alike: the blob must also decrypt to the plaintext.
      expect((await collect(decrypt(chunked(ring.bytes, 100_000), key))).equals(plaintext)).toBe(true);
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
    const reference = await encryptToBuffer(plaintext, key);
    const blob = onWorker(reusing(), key, { noncePrefix: reference.noncePrefix });
    expect((await collect(blob)).equals(reference.bytes)).toBe(true);
  });

  it.each([['on the worker', onWorker], ['inline', inline]] as const)(
    'reuses output chunks written out through pipeTo without changing the output (%s)',
    async (_where, encryptOn) => {
      const plaintext = randomBytes(6 * MIB + 9);
      const reference = await encryptToBuffer(plaintext, key);
      const blob = encryptOn(chunked(plaintext, MIB), key, { noncePrefix: reference.noncePrefix });
      const copies: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      await pipeTo(blob, {
        write(piece, done) {
          copies.push(Buffer.from(piece));
          buffers.add(piece.buffer);
          done();
        },
      });
      expect(Buffer.concat(copies).equals(reference.bytes)).toBe(true);
      expect(buffers.size).toBeLessThan(copies.length);
    },
  );

  it('never reuses an output chunk the sink did not give back', async () => {
    const plaintext = randomBytes(6 * MIB + 9);
    const reference = await encryptToBuffer(plaintext, key);
    const kept: Uint8Array[] = [];
    await pipeTo(onWorker(chunked(plaintext, MIB), key, { noncePrefix: reference.noncePrefix }), {
      write(piece, done) {
        kept.push(piece);
        if (kept.length % 2 === 0) done();
      },
    });
    // The odd chunks were kept without `done`: their memory must still hold their bytes.
    const kept0 = kept[0];
    expect(Buffer.from(kept0).equals(reference.bytes.subarray(0, kept0.length))).toBe(true);
  });

  describe('a file source', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'coffer-file-source-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function withFile<T>(data: Buffer, use: (fd: number) => Promise<T>): Promise<T> {
      const path = join(dir, `${data.length}-${Math.random()}`);
      writeFileSync(path, data);
      const handle = await open(path, 'r');
      try {
        return await use(handle.fd);
      } finally {
        await handle.close();
      }
    }

    // Around the 1 MiB slots the worker reads, and the empty file.
    it.each([0, 1, CHUNK, MIB - 1, MIB, MIB + 1, 4 * MIB, 4 * MIB + CHUNK, 9 * MIB + 3])(
      'is read into the same blob as from a stream, on both paths (%i bytes)',
      async (size) => {
        const plaintext = randomBytes(size);
        const reference = await encryptToBuffer(plaintext, key);
        for (const encryptOn of [onWorker, inline]) {
          const blob = await withFile(plaintext, async (fd) => {
            const blob = encryptOn({ fd, size }, key, { noncePrefix: reference.noncePrefix });
            return { bytes: await collect(blob), result: await blob.result };
          });
          expect(blob.bytes.equals(reference.bytes)).toBe(true);
          expect(blob.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });
        }
      },
    );

    (process.platform === 'linux' ? it : it.skip)('takes the worker started ahead by prestartEncryptWorker', async () => {
      const threads = () => readdirSync('/proc/self/task').length;
      // Above the library's threshold (8 MiB), so `encrypt` hashes a file of this size on a worker.
      const plaintext = randomBytes(9 * MIB + 1);
      const reference = await encryptToBuffer(plaintext, key);
      const before = threads();
      prestartEncryptWorker(plaintext.length);
      prestartEncryptWorker(plaintext.length);
      expect(threads()).toBe(before + 1);
      const bytes = await withFile(plaintext, async (fd) => {
        const blob = encrypt({ fd, size: plaintext.length }, key, { noncePrefix: reference.noncePrefix });
        const pieces: Buffer[] = [];
        for await (const piece of blob) {
          // No second thread: the blob runs on the one started ahead.
          if (pieces.length === 0) expect(threads()).toBe(before + 1);
          pieces.push(Buffer.from(piece));
        }
        return Buffer.concat(pieces);
      });
      expect(bytes.equals(reference.bytes)).toBe(true);
      expect(threads()).toBe(before);
    });

    (process.platform === 'linux' ? it : it.skip)('hashes a small file on the calling thread, starting no worker', async () => {
      const threads = () => readdirSync('/proc/self/task').length;
      const plaintext = randomBytes(MIB + 1);
      const before = threads();
      prestartEncryptWorker(plaintext.length);
      const bytes = await withFile(plaintext, async (fd) => {
        const blob = encrypt({ fd, size: plaintext.length }, key);
        const pieces: Buffer[] = [];
        for await (const piece of blob) {
          expect(threads()).toBe(before);
          pieces.push(Buffer.from(piece));
        }
        return Buffer.concat(pieces);
      });
      expect(bytes.length).toBe(blobSize(plaintext.length));
    });

    it('reads only the size it was given from a file that grew', async () => {
      const plaintext = randomBytes(3 * MIB);
      const reference = await encryptToBuffer(plaintext.subarray(0, 2 * MIB + 5), key);
      const bytes = await withFile(plaintext, (fd) => collect(onWorker({ fd, size: 2 * MIB + 5 }, key, { noncePrefix: reference.noncePrefix })));
      expect(bytes.equals(reference.bytes)).toBe(true);
    });

    it.each([['on the worker', onWorker], ['inline', inline]] as const)('fails with FileChangedError when the file is shorter than its size (%s)', async (_where, encryptOn) => {
      const plaintext = randomBytes(2 * MIB + 7);
      await withFile(plaintext, async (fd) => {
        const blob = encryptOn({ fd, size: 5 * MIB }, key);
        const error = await collect(blob).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FileChangedError);
        expect(error).toMatchObject({ bytesRead: plaintext.length, expectedSize: 5 * MIB });
        await expect(blob.result).rejects.toBeInstanceOf(FileChangedError);
      });
    });

    (process.platform === 'linux' ? it : it.skip)('has stopped reading the file once the stream is closed early', async () => {
      const plaintext = randomBytes(12 * MIB);
      await withFile(plaintext, async (fd) => {
        const threads = () => readdirSync('/proc/self/task').length;
        const before = threads();
        const blob = onWorker({ fd, size: plaintext.length }, key);
        let pieces = 0;
        for await (const _piece of blob) {
          if (pieces === 0) expect(threads()).toBe(before + 1);
          if (++pieces === 2) break;
        }
        // The worker thread has ended, so the caller may close the descriptor (whose number may
        // then be reused) without the worker reading whatever it then names.
        expect(threads()).toBe(before);
        await expect(blob.result).rejects.toThrow('closed before its end');
      });
    });
  });

  it('fails with the source error and stops the worker', async () => {
    async function* failing() {
      yield randomBytes(3 * MIB);
      throw new Error('read failed');
    }
    const blob = onWorker(failing(), key);
    await expect(collect(blob)).rejects.toThrow('read failed');
    await expect(blob.result).rejects.toThrow('read failed');
  });

  it('rejects result when the reader stops early', async () => {
    async function* endless() {
      for (;;) yield randomBytes(MIB);
    }
    const blob = onWorker(endless(), key);
    let pieces = 0;
    for await (const _piece of blob) if (++pieces === 3) break;
    await expect(blob.result).rejects.toThrow('closed before its end');
  });
});
