/**
 * The browser's part encryption (apps/web/src/crypto/encrypt-part.ts) for multipart uploads
 * (issue 17): parts encrypted on their own, in any order, join into the very blob of docs/FORMAT.md,
 * checked against an independent frame-by-frame encryption with Node's AES-GCM; the part plan is
 * the server's (docs/API.md, "Multipart uploads").
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { blobParts, blobSize, encryptPart, MAX_FRAME_SIZE } from '../src/crypto/encrypt-part';
import { encryptBlob } from '../src/crypto/encrypt';

const KEY = new Uint8Array(randomBytes(32));
const PREFIX = new Uint8Array(randomBytes(7));
const CHUNK = 65_536;

/** docs/FORMAT.md frame by frame: nonce = prefix || counter (BE) || flag; header = nonce || body length. */
function referenceBlob(plaintext: Buffer): Buffer {
  const frames = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  const out: Buffer[] = [];
  for (let i = 0; i < frames; i++) {
    const nonce = Buffer.alloc(12);
    Buffer.from(PREFIX).copy(nonce, 0);
    nonce.writeUInt32BE(i, 7);
    nonce[11] = i === frames - 1 ? 1 : 0;
    const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
    const body = Buffer.concat([cipher.update(plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)), cipher.final(), cipher.getAuthTag()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    out.push(nonce, length, body);
  }
  return Buffer.concat(out);
}

async function importKey() {
  return crypto.subtle.importKey('raw', KEY, 'AES-GCM', false, ['encrypt']);
}

describe('blobParts', () => {
  it('cuts the blob into parts of whole frames, the last one short, sizes adding up to the blob', () => {
    const partSize = 80 * MAX_FRAME_SIZE;
    const plaintext = 3 * 80 * CHUNK + 12_345;
    const parts = blobParts(plaintext, partSize);
    expect(parts.map((p) => [p.partNumber, p.offset, p.size, p.firstFrame, p.isLast, p.encryptedSize])).toEqual([
      [1, 0, 80 * CHUNK, 0, false, partSize],
      [2, 80 * CHUNK, 80 * CHUNK, 80, false, partSize],
      [3, 160 * CHUNK, 80 * CHUNK, 160, false, partSize],
      [4, 240 * CHUNK, 12_345, 240, true, 12_345 + 32],
    ]);
    expect(parts.reduce((sum, p) => sum + p.encryptedSize, 0)).toBe(blobSize(plaintext));
  });

  it('ends in a full part when the blob is a whole number of parts', () => {
    const parts = blobParts(2 * 80 * CHUNK, 80 * MAX_FRAME_SIZE);
    expect(parts.map((p) => [p.size, p.isLast, p.encryptedSize])).toEqual([
      [80 * CHUNK, false, 80 * MAX_FRAME_SIZE],
      [80 * CHUNK, true, 80 * MAX_FRAME_SIZE],
    ]);
  });

  it('refuses a part size that is not a whole number of frames', () => {
    expect(() => blobParts(10 * CHUNK, 80 * MAX_FRAME_SIZE + 1)).toThrow(RangeError);
  });
});

describe('encryptPart', () => {
  it.each([
    ['a short last part', 3 * 4 * CHUNK + 1_000, 4],
    ['a full last part', 2 * 4 * CHUNK, 4],
    ['one part', 3 * CHUNK - 1, 4],
  ])('parts encrypted on their own, last first, join into the blob of FORMAT.md (%s)', async (_case, size, framesPerPart) => {
    const plaintext = randomBytes(size);
    const key = await importKey();
    const parts = blobParts(size, framesPerPart * MAX_FRAME_SIZE);
    const encrypted = new Map<number, Uint8Array>();
    for (const part of [...parts].reverse()) {
      const body = await encryptPart(new Uint8Array(plaintext.subarray(part.offset, part.offset + part.size)), key, { noncePrefix: PREFIX, firstFrame: part.firstFrame, isLast: part.isLast });
      expect(body.length).toBe(part.encryptedSize);
      encrypted.set(part.partNumber, body);
    }
    const joined = Buffer.concat(parts.map((p) => encrypted.get(p.partNumber)!));
    expect(joined.equals(referenceBlob(plaintext))).toBe(true);
  });

  it('refuses a middle part that is not whole frames, and an empty part after the first frame', async () => {
    const key = await importKey();
    await expect(encryptPart(new Uint8Array(CHUNK + 1), key, { noncePrefix: PREFIX, firstFrame: 0, isLast: false })).rejects.toThrow(RangeError);
    await expect(encryptPart(new Uint8Array(0), key, { noncePrefix: PREFIX, firstFrame: 4, isLast: true })).rejects.toThrow(RangeError);
  });
});

describe('encryptBlob over groups of frames', () => {
  it('is the blob of FORMAT.md for a file of several groups (frames 64 at a time)', async () => {
    const plaintext = randomBytes(130 * CHUNK + 7);
    const out = await encryptBlob(new Blob([plaintext]), KEY, { noncePrefix: PREFIX });
    expect(Buffer.from(await out.blob.arrayBuffer()).equals(referenceBlob(plaintext))).toBe(true);
  });

  it('stops when its signal is aborted', async () => {
    const stop = new AbortController();
    stop.abort(new Error('cancelled'));
    await expect(encryptBlob(new Blob([randomBytes(10)]), KEY, { signal: stop.signal })).rejects.toThrow('cancelled');
  });
});
