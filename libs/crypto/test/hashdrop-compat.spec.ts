import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { decrypt, DecryptionError, keyCommitment, randomDek } from '@coffer/crypto';
import { CHUNK, chunked, collect, decryptOutcome, encryptToBuffer } from './helpers';

/** The stock Hashdrop decryptor's rules: 12-byte nonce, 4-byte BE length, body; open each frame; concatenate. */
function hashdropDecrypt(blob: Buffer, key: Uint8Array): Buffer {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < blob.length; ) {
    const nonce = blob.subarray(offset, offset + 12);
    const length = blob.readUInt32BE(offset + 12);
    const body = blob.subarray(offset + 16, offset + 16 + length);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(body.subarray(length - 16));
    pieces.push(decipher.update(body.subarray(0, length - 16)), decipher.final());
    offset += 16 + length;
  }
  return Buffer.concat(pieces);
}

/** The stock Hashdrop writer: 64 KiB chunks, a random nonce per frame. */
function hashdropEncrypt(plaintext: Buffer, key: Uint8Array): Buffer {
  const frames: Buffer[] = [];
  for (let offset = 0; offset === 0 || offset < plaintext.length; offset += CHUNK) {
    const nonce = randomBytes(12);
    // A random nonce could look like a strict first nonce (counter 0, flag 0 or 1) with chance 2^-39.
    nonce[7] = 0xff;
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const body = Buffer.concat([cipher.update(plaintext.subarray(offset, offset + CHUNK)), cipher.final(), cipher.getAuthTag()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    frames.push(nonce, length, body);
  }
  return Buffer.concat(frames);
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('Hashdrop compatibility', () => {
  const key = randomDek();

  it.each([0, 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])('a Hashdrop decryptor reads what we write (%d bytes)', async (size) => {
    const plaintext = randomBytes(size);
    const { bytes } = await encryptToBuffer(plaintext, key);
    expect(hashdropDecrypt(bytes, key).equals(plaintext)).toBe(true);
  });

  it.each([0, 1, CHUNK, 2 * CHUNK + 5])('we read a legacy blob with random nonces (%d bytes) and report it as legacy', async (size) => {
    const plaintext = randomBytes(size);
    const stream = decrypt(chunked(hashdropEncrypt(plaintext, key), 5_000), key, { sha256: sha256(plaintext) });
    expect((await collect(stream)).equals(plaintext)).toBe(true);
    expect(await stream.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size, legacy: true });
  });

  it('still verifies every frame of a legacy blob', async () => {
    const blob = hashdropEncrypt(randomBytes(2 * CHUNK + 5), key);
    blob[CHUNK + 32 + 20] ^= 1;
    const outcome = await decryptOutcome(blob, key);
    expect(outcome.error).toBeInstanceOf(DecryptionError);
    expect(outcome.released.length).toBe(CHUNK);
  });

  it('rejects a legacy blob when a commitment is expected, since only Coffer writes commitments', async () => {
    const blob = hashdropEncrypt(randomBytes(100), key);
    const outcome = await decryptOutcome(blob, key, { commitment: keyCommitment(key, blob.subarray(0, 7)) });
    expect(outcome.error).toBeInstanceOf(DecryptionError);
    expect(outcome.released.length).toBe(0);
  });

  it('fails on a legacy blob whose plaintext hash does not match', async () => {
    const outcome = await decryptOutcome(hashdropEncrypt(randomBytes(100), key), key, { sha256: sha256(Buffer.from('other')) });
    expect(outcome.error).toBeInstanceOf(DecryptionError);
    expect(outcome.released.length).toBe(0);
  });

  it('rejects an empty input, which is not even a legacy blob', async () => {
    expect((await decryptOutcome(Buffer.alloc(0), key)).error).toBeInstanceOf(DecryptionError);
  });
});
