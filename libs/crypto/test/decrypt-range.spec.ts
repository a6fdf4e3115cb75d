import { randomBytes } from 'node:crypto';
import { DecryptionError, FRAME_SIZE, frameCountOf, openFrameRange, plaintextSizeOf, randomDek } from '@coffer/crypto';
import { CHUNK, encryptToBuffer, independentFrame } from './helpers';

describe('openFrameRange: ranges of whole frames decrypted on their own (issue 19)', () => {
  const key = randomDek();
  const plaintext = randomBytes(7 * CHUNK + 500);
  let blob: Buffer;
  let prefix: Buffer;
  const totalFrames = 8;

  beforeAll(async () => {
    ({ bytes: blob } = await encryptToBuffer(plaintext, key));
    prefix = blob.subarray(0, 7);
  });

  function open(firstFrame: number, frames: number, source: Buffer = blob, total = totalFrames): Buffer {
    const bytes = source.subarray(firstFrame * FRAME_SIZE, Math.min(source.length, (firstFrame + frames) * FRAME_SIZE));
    const out = Buffer.alloc(frames * CHUNK);
    return out.subarray(0, openFrameRange(key, { prefix, firstFrame, totalFrames: total }, bytes, out));
  }

  it('knows the frames and plaintext size of a blob from its size alone', () => {
    expect(frameCountOf(blob.length)).toBe(totalFrames);
    expect(plaintextSizeOf(blob.length)).toBe(plaintext.length);
    expect(frameCountOf(32)).toBe(1);
    expect(frameCountOf(FRAME_SIZE)).toBe(1);
    expect(frameCountOf(FRAME_SIZE + 32)).toBe(2);
    for (const impossible of [0, 31, FRAME_SIZE + 31, -1, 1.5]) expect(() => frameCountOf(impossible)).toThrow(DecryptionError);
  });

  it.each([1, 3, 8])('decrypts the blob range by range (%i frames each) into the plaintext', (per) => {
    const pieces: Buffer[] = [];
    for (let first = 0; first < totalFrames; first += per) pieces.push(open(first, per));
    expect(Buffer.concat(pieces).equals(plaintext)).toBe(true);
  });

  it('refuses a changed byte, a range served from the wrong place, a short or long range', () => {
    const flipped = Buffer.from(blob);
    flipped[3 * FRAME_SIZE + 100] ^= 1;
    expect(() => open(2, 2, flipped)).toThrow(DecryptionError);
    expect(open(0, 2, flipped).equals(plaintext.subarray(0, 2 * CHUNK))).toBe(true);
    // Frames 4-5 handed out as frames 2-3.
    const moved = Buffer.concat([blob.subarray(0, 2 * FRAME_SIZE), blob.subarray(4 * FRAME_SIZE, 6 * FRAME_SIZE)]);
    expect(() => open(2, 2, moved)).toThrow(DecryptionError);
    const out = Buffer.alloc(4 * CHUNK);
    expect(() => openFrameRange(key, { prefix, firstFrame: 2, totalFrames }, blob.subarray(2 * FRAME_SIZE, 4 * FRAME_SIZE - 1), out)).toThrow(DecryptionError);
    expect(() => openFrameRange(key, { prefix, firstFrame: 6, totalFrames }, Buffer.concat([blob.subarray(6 * FRAME_SIZE), Buffer.alloc(1)]), out)).toThrow(DecryptionError);
  });

  it('refuses a blob cut after a full frame (no final flag where the size says the end is), and a wrong key or prefix', () => {
    const cut = blob.subarray(0, 7 * FRAME_SIZE);
    expect(() => open(6, 1, cut, frameCountOf(cut.length))).toThrow(DecryptionError);
    expect(() => openFrameRange(randomDek(), { prefix, firstFrame: 0, totalFrames }, blob.subarray(0, FRAME_SIZE), Buffer.alloc(CHUNK))).toThrow(DecryptionError);
    expect(() => openFrameRange(key, { prefix: randomBytes(7), firstFrame: 0, totalFrames }, blob.subarray(0, FRAME_SIZE), Buffer.alloc(CHUNK))).toThrow(DecryptionError);
  });

  it('refuses a final flag before the end and a frame from another blob', () => {
    const early = independentFrame(key, prefix, 1, 1, plaintext.subarray(CHUNK, 2 * CHUNK));
    expect(() => openFrameRange(key, { prefix, firstFrame: 1, totalFrames }, early, Buffer.alloc(CHUNK))).toThrow(DecryptionError);
    const otherPrefix = randomBytes(7);
    const foreign = independentFrame(key, otherPrefix, 1, 0, plaintext.subarray(CHUNK, 2 * CHUNK));
    expect(() => openFrameRange(key, { prefix, firstFrame: 1, totalFrames }, foreign, Buffer.alloc(CHUNK))).toThrow(DecryptionError);
  });

  it('refuses a plaintext that does not fit the output', () => {
    expect(() => openFrameRange(key, { prefix, firstFrame: 0, totalFrames }, blob.subarray(0, 2 * FRAME_SIZE), Buffer.alloc(CHUNK))).toThrow(DecryptionError);
  });
});
