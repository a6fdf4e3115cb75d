import { createHash, randomBytes } from 'node:crypto';
import { decrypt, DecryptionError, keyCommitment, randomDek } from '@coffer/crypto';
import { CHUNK, chunked, collect, decryptOutcome, encryptToBuffer, FRAME, independentFrame, splitFrames, type DecryptOutcome } from './helpers';

const GENERIC_MESSAGE = 'decryption failed: wrong key or corrupted/tampered data';

describe('decrypt of a damaged or tampered blob', () => {
  const key = randomDek();
  const plaintext = randomBytes(2 * CHUNK + 1_000);
  const sha256 = createHash('sha256').update(plaintext).digest('hex');
  let blob: Buffer;
  let frames: Buffer[];
  let commitment: string;

  beforeAll(async () => {
    ({ bytes: blob, commitment } = await encryptToBuffer(plaintext, key));
    frames = splitFrames(blob);
    expect(frames.map((frame) => frame.length)).toEqual([FRAME, FRAME, 1_000 + 32]);
  });

  /** The one generic error, with exactly the first `frames` verified chunks released before it. */
  function expectFailure(outcome: DecryptOutcome, releasedFrames: number): void {
    expect(outcome.error).toBeInstanceOf(DecryptionError);
    expect((outcome.error as Error).message).toBe(GENERIC_MESSAGE);
    expect(outcome.released.equals(plaintext.subarray(0, releasedFrames * CHUNK))).toBe(true);
  }

  it('decrypts the untouched blob (the control case)', async () => {
    const outcome = await decryptOutcome(blob, key, { commitment, sha256 });
    expect(outcome.error).toBeUndefined();
    expect(outcome.released.equals(plaintext)).toBe(true);
  });

  it('fails at every sampled truncation, releasing only whole frames before the cut', async () => {
    const lengths = new Set<number>();
    for (let length = 0; length < blob.length; length += 31) lengths.add(length);
    for (const boundary of [0, FRAME, 2 * FRAME, blob.length]) {
      for (let delta = -40; delta <= 40; delta++) lengths.add(boundary + delta);
    }
    const feasible = [...lengths].filter((length) => length >= 0 && length < blob.length);
    expect(feasible.length).toBeGreaterThan(4_000);
    for (const length of feasible) {
      expectFailure(await decryptOutcome(blob.subarray(0, length), key, { commitment }, 16_384), Math.floor(length / FRAME));
    }
  });

  describe('with one bit flipped', () => {
    const regions = {
      'nonce prefix': [0, 3, 6],
      counter: [7, 8, 9, 10],
      flag: [11],
      length: [12, 13, 14, 15],
      ciphertext: [16, 17, 500, -17],
      tag: [-16, -9, -1],
    };
    const cases = Object.entries(regions).flatMap(([region, offsets]) =>
      [0, 1, 2].flatMap((frame) => offsets.map((offset) => ({ region, frame, offset }))),
    );

    it.each(cases)('fails in the $region (frame $frame, byte $offset) before releasing that frame', async ({ frame, offset }) => {
      const start = frame * FRAME;
      const end = start + (frames[frame]).length;
      const position = offset >= 0 ? start + offset : end + offset;
      for (let bit = 0; bit < 8; bit++) {
        const tampered = Buffer.from(blob);
        tampered[position] = (tampered[position]) ^ (1 << bit);
        expectFailure(await decryptOutcome(tampered, key, { commitment }), frame);
      }
    });
  });

  describe('with frames moved around', () => {
    const [f0, f1, f2] = [0, 1, 2];
    it.each([
      ['the first frame dropped', [f1, f2], 0],
      ['a middle frame dropped', [f0, f2], 1],
      ['the final frame dropped', [f0, f1], 2],
      ['the first frame duplicated', [f0, f0, f1, f2], 1],
      ['a middle frame duplicated', [f0, f1, f1, f2], 2],
      ['the final frame duplicated', [f0, f1, f2, f2], 2],
      ['the first two frames swapped', [f1, f0, f2], 0],
      ['the last two frames swapped', [f0, f2, f1], 1],
      ['the final frame moved to the front', [f2, f0, f1], 0],
      ['a frame appended after the final one', [f0, f1, f2, f0], 2],
    ])('fails with %s', async (_case, order, releasedFrames) => {
      const tampered = Buffer.concat(order.map((index) => frames[index]));
      expectFailure(await decryptOutcome(tampered, key, { commitment }), releasedFrames);
    });

    it('fails without a commitment too, as long as the first frame stays first', async () => {
      for (const [order, releasedFrames] of [
        [[f0, f2], 1],
        [[f0, f1], 2],
        [[f0, f2, f1], 1],
        [[f0, f1, f1, f2], 2],
        [[f0, f1, f2, f2], 2],
      ] as const) {
        const tampered = Buffer.concat(order.map((index) => frames[index]));
        expectFailure(await decryptOutcome(tampered, key), releasedFrames);
      }
    });

    // Without the first frame a blob looks like a legacy one; that is why Coffer's client always
    // passes the commitment (or at least the plaintext hash) of a Coffer-written file.
    it('reads a blob missing its first frame as legacy when given neither commitment nor hash, and fails with the hash', async () => {
      const tampered = Buffer.concat([frames[1], frames[2]]);
      const stream = decrypt(chunked(tampered, 4096), key);
      const pieces: Uint8Array[] = [];
      for await (const piece of stream) pieces.push(piece);
      expect(Buffer.concat(pieces).equals(plaintext.subarray(CHUNK))).toBe(true);
      expect((await stream.result).legacy).toBe(true);

      const outcome = await decryptOutcome(tampered, key, { sha256 });
      expect(outcome.error).toBeInstanceOf(DecryptionError);
      expect(outcome.released.equals(plaintext.subarray(CHUNK, 2 * CHUNK))).toBe(true);
    });
  });

  it.each([
    ['one byte', Buffer.from([0])],
    ['sixteen bytes', randomBytes(16)],
    ['a random frame', randomBytes(FRAME)],
  ])('fails with %s appended, withholding the final frame', async (_case, extra) => {
    expectFailure(await decryptOutcome(Buffer.concat([blob, extra]), key, { commitment }), 2);
  });

  it('fails with the wrong key, releasing nothing', async () => {
    expectFailure(await decryptOutcome(blob, randomDek()), 0);
  });

  it('fails with a wrong or malformed commitment, releasing nothing', async () => {
    for (const wrong of [keyCommitment(randomDek(), blob.subarray(0, 7)), keyCommitment(key, randomBytes(7)), 'not base64!', '']) {
      expectFailure(await decryptOutcome(blob, key, { commitment: wrong }), 0);
    }
  });

  it('fails on a plaintext hash mismatch, withholding the final frame', async () => {
    expectFailure(await decryptOutcome(blob, key, { sha256: '0'.repeat(64) }), 2);
  });

  it('fails on a body length below 16 or above 65,552', async () => {
    for (const length of [0, 15, 65_553, 0xffffffff]) {
      const tampered = Buffer.from(blob);
      tampered.writeUInt32BE(length, FRAME + 12);
      expectFailure(await decryptOutcome(tampered, key), 1);
    }
  });

  it('rejects an oversized length before reading the body, so memory stays bounded', async () => {
    let pulled = 0;
    async function* endlessAfterHeader(): AsyncGenerator<Uint8Array> {
      const header = Buffer.from(blob.subarray(0, 16));
      header.writeUInt32BE(0xffffffff, 12);
      yield header;
      for (;;) {
        pulled += CHUNK;
        yield Buffer.alloc(CHUNK);
      }
    }
    await expect(collect(decrypt(endlessAfterHeader(), key))).rejects.toThrow(DecryptionError);
    expect(pulled).toBe(0);
  });

  describe('of frames validly encrypted with the right key', () => {
    const prefix = randomBytes(7);
    const full = () => randomBytes(CHUNK);

    it('fails when a non-final chunk is shorter than 65,536 bytes', async () => {
      const crafted = Buffer.concat([independentFrame(key, prefix, 0, 0, randomBytes(100)), independentFrame(key, prefix, 1, 1, randomBytes(10))]);
      expect((await decryptOutcome(crafted, key)).error).toBeInstanceOf(DecryptionError);
    });

    it('fails when the nonce prefix changes between frames', async () => {
      const first = full();
      const crafted = Buffer.concat([independentFrame(key, prefix, 0, 0, first), independentFrame(key, randomBytes(7), 1, 1, Buffer.from('x'))]);
      const outcome = await decryptOutcome(crafted, key);
      expect(outcome.error).toBeInstanceOf(DecryptionError);
      expect(outcome.released.equals(first)).toBe(true);
    });

    it('fails on an unknown flag in a later frame', async () => {
      const crafted = Buffer.concat([independentFrame(key, prefix, 0, 0, full()), independentFrame(key, prefix, 1, 2, Buffer.from('x'))]);
      expect((await decryptOutcome(crafted, key)).error).toBeInstanceOf(DecryptionError);
    });

    it('accepts an empty final chunk after a full one', async () => {
      const first = full();
      const crafted = Buffer.concat([independentFrame(key, prefix, 0, 0, first), independentFrame(key, prefix, 1, 1, Buffer.alloc(0))]);
      const outcome = await decryptOutcome(crafted, key);
      expect(outcome.error).toBeUndefined();
      expect(outcome.released.equals(first)).toBe(true);
    });
  });

  it('keeps failing with the same error once it failed', async () => {
    const iterator = decrypt(chunked(blob.subarray(0, 100), 100), key)[Symbol.asyncIterator]();
    const first = await iterator.next().catch((error: unknown) => error);
    const second = await iterator.next().catch((error: unknown) => error);
    expect(first).toBeInstanceOf(DecryptionError);
    expect(second).toBe(first);
  });
});
