import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decrypt } from '@coffer/crypto';
import { CHUNK, chunked, collect, encryptToBuffer, independentFrame, patterned } from './helpers';

interface Vector {
  description: string;
  key: string;
  nonce_prefix: string;
  plaintext: { size: number; rule: string };
  plaintext_sha256: string;
  commitment: string;
  blob: string;
}

const directory = join(__dirname, 'vectors');
const vectors = readdirSync(directory)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ name: file.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(join(directory, file), 'utf8')) as Vector) }));

describe('known-answer vectors (test/vectors/*.json)', () => {
  it('covers the agreed scenarios', () => {
    expect(vectors.map((vector) => vector.name).sort()).toEqual(['chunk-plus-one', 'empty', 'exact-chunk', 'multi-frame', 'one-byte']);
  });

  describe.each(vectors)('$name', (vector) => {
    const key = Buffer.from(vector.key, 'hex');
    const noncePrefix = Buffer.from(vector.nonce_prefix, 'hex');
    const plaintext = patterned(vector.plaintext.size);
    const blob = Buffer.from(vector.blob, 'hex');

    it('is reproduced by encrypt', async () => {
      const encrypted = await encryptToBuffer(plaintext, key, { noncePrefix }, 1_000);
      expect(encrypted.bytes.toString('hex')).toBe(vector.blob);
      expect(encrypted.commitment).toBe(vector.commitment);
      expect(encrypted.result).toEqual({ sha256: vector.plaintext_sha256, plaintextSize: plaintext.length });
    });

    it('decrypts back to the plaintext', async () => {
      const stream = decrypt(chunked(blob, 777), key, { commitment: vector.commitment, sha256: vector.plaintext_sha256 });
      expect((await collect(stream)).equals(plaintext)).toBe(true);
      expect(await stream.result).toEqual({ sha256: vector.plaintext_sha256, plaintextSize: plaintext.length, legacy: false });
    });

    it('matches a computation with node:crypto alone, frame by frame', () => {
      const frames: Buffer[] = [];
      const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
      for (let counter = 0; counter < count; counter++) {
        const flag = counter === count - 1 ? 1 : 0;
        frames.push(independentFrame(key, noncePrefix, counter, flag, plaintext.subarray(counter * CHUNK, (counter + 1) * CHUNK)));
      }
      expect(Buffer.concat(frames).toString('hex')).toBe(vector.blob);
      expect(createHash('sha256').update(plaintext).digest('hex')).toBe(vector.plaintext_sha256);
      const commitment = createHmac('sha256', key).update('coffer/v1/commit').update(noncePrefix).digest('base64');
      expect(commitment).toBe(vector.commitment);
    });
  });
});
