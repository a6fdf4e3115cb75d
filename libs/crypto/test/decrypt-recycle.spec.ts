import { randomBytes } from 'node:crypto';
import { decrypt, pipeTo, randomDek } from '@coffer/crypto';
import { nativeGcm } from '../src/format/native-gcm';
import { chunked, encryptToBuffer } from './helpers';

const MIB = 1024 * 1024;

// Plaintext memory is reused only on the native path (Node's decipher allocates every frame).
(nativeGcm.binding ? describe : describe.skip)('decrypt with plaintext chunks given back through pipeTo', () => {
  const key = randomDek();
  const plaintext = randomBytes(6 * MIB + 12_345);
  let blob: Buffer;

  beforeAll(async () => {
    ({ bytes: blob } = await encryptToBuffer(plaintext, key));
  });

  it('reuses the memory of chunks given back, and the output is unchanged', async () => {
    const stream = decrypt(chunked(blob, 100_000), key);
    const copies: Buffer[] = [];
    const memories = new Set<ArrayBufferLike>();
    let chunks = 0;
    await pipeTo(stream, {
      write(chunk, done) {
        copies.push(Buffer.from(chunk));
        memories.add(chunk.buffer);
        chunks++;
        done();
      },
    });
    expect(Buffer.concat(copies).equals(plaintext)).toBe(true);
    expect((await stream.result).plaintextSize).toBe(plaintext.length);
    // 6 MiB is 97 frames in 1 MiB blocks: without reuse each block would be new memory.
    expect(chunks).toBe(97);
    expect(memories.size).toBeLessThanOrEqual(2);
  });

  it('never reuses memory of chunks that were not given back', async () => {
    const stream = decrypt(chunked(blob, 100_000), key);
    const kept: Uint8Array[] = [];
    for await (const chunk of stream) kept.push(chunk);
    expect(Buffer.concat(kept).equals(plaintext)).toBe(true);
  });

  it('does not count a chunk given back twice', async () => {
    const stream = decrypt(chunked(blob, 100_000), key);
    let kept: Uint8Array | undefined;
    const copies: Buffer[] = [];
    let index = 0;
    let doneOf15: (() => void) | undefined;
    await pipeTo(stream, {
      write(chunk, done) {
        copies.push(Buffer.from(chunk));
        if (index === 1) kept = chunk; // never given back: its block must never be reused
        else {
          done();
          // The last frame of the first 1 MiB block: counted twice, the block would look free.
          if (index === 15) doneOf15 = done;
        }
        if (index === 16) doneOf15?.();
        index++;
      },
    });
    expect(Buffer.concat(copies).equals(plaintext)).toBe(true);
    expect(Buffer.from(kept!).equals(plaintext.subarray(65_536, 2 * 65_536))).toBe(true);
  });
});
