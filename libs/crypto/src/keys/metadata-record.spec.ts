import { randomBytes, randomUUID } from 'node:crypto';
import { DecryptionError } from '../format/decryption-error';
import { aeadSeal, hkdf32 } from './aead';
import { decryptMetadata, encryptMetadata, MAX_METADATA_JSON, MAX_RECORD_CHARS, metadataAad, type FileMetadata } from './metadata-record';

describe('encrypted metadata record', () => {
  const dek = randomBytes(32);
  const fileId = randomUUID();
  const meta = (name: string): FileMetadata => ({ name, media_type: 'text/plain; charset=utf-8', sha256: '0f'.repeat(32), size: 0 });

  /** A record of any plaintext under the right key, to check what decrypt accepts. */
  function recordOf(plaintext: string | Buffer): string {
    const nonce = randomBytes(12);
    const body = aeadSeal(hkdf32(dek, Buffer.alloc(0), 'coffer/v1/metadata'), nonce, Buffer.from(plaintext), metadataAad(Buffer.from(fileId)));
    return Buffer.concat([Buffer.of(1), nonce, body]).toString('base64');
  }

  it('round-trips, including names no file system would like', () => {
    for (const name of ['a', 'Quarterly report (final) v2.pdf', 'naïve café — 日本語 🎉.txt', '"quoted"\\back\nslash', ' ']) {
      expect(decryptMetadata(encryptMetadata(meta(name), dek, fileId), dek, fileId)).toEqual(meta(name));
    }
    const big = { ...meta('x'), size: Number.MAX_SAFE_INTEGER };
    expect(decryptMetadata(encryptMetadata(big, dek, fileId), dek, fileId)).toEqual(big);
  });

  it('pads to 64-byte steps, so nearby name lengths give records of one length', () => {
    const lengths = new Set([1, 5, 10, 20].map((n) => encryptMetadata(meta('n'.repeat(n)), dek, fileId).length));
    expect(lengths.size).toBe(1);
    expect(encryptMetadata(meta('n'.repeat(80)), dek, fileId).length).toBeGreaterThan([...lengths][0]);
  });

  it('takes names up to the record limit, and refuses longer ones', () => {
    const overhead = JSON.stringify(meta('')).length;
    const longest = encryptMetadata(meta('n'.repeat(MAX_METADATA_JSON - overhead)), dek, fileId);
    expect(longest.length).toBeLessThanOrEqual(MAX_RECORD_CHARS);
    expect(decryptMetadata(longest, dek, fileId).name).toHaveLength(MAX_METADATA_JSON - overhead);
    expect(() => encryptMetadata(meta('n'.repeat(MAX_METADATA_JSON - overhead + 1)), dek, fileId)).toThrow(RangeError);
  });

  it('refuses invalid metadata when encrypting', () => {
    const bad: unknown[] = [
      meta(''),
      { ...meta('a'), sha256: 'AB'.repeat(32) },
      { ...meta('a'), size: -1 },
      { ...meta('a'), size: 1.5 },
      { ...meta('a'), extra: true },
      { name: 'a', sha256: '0f'.repeat(32), size: 1 },
    ];
    for (const value of bad) expect(() => encryptMetadata(value as FileMetadata, dek, fileId)).toThrow(RangeError);
  });

  it('decrypts only exactly the four valid fields', () => {
    const valid = JSON.stringify(meta('ok'));
    expect(decryptMetadata(recordOf(valid), dek, fileId)).toEqual(meta('ok'));
    const bad = [
      JSON.stringify({ ...meta('ok'), extra: 1 }),
      JSON.stringify({ ...meta('ok'), size: '1' }),
      JSON.stringify({ ...meta('ok'), sha256: 'zz'.repeat(32) }),
      JSON.stringify({ ...meta(''), size: 0 }),
      JSON.stringify([meta('ok')]),
      'null',
      `${valid}x`,
      Buffer.concat([Buffer.from(valid.slice(0, -2)), Buffer.of(0xff), Buffer.from('"}')]),
      '',
    ];
    for (const plaintext of bad) expect(() => decryptMetadata(recordOf(plaintext), dek, fileId)).toThrow(DecryptionError);
  });

  it('refuses records over the length limit without decrypting them', () => {
    expect(() => decryptMetadata('A'.repeat(MAX_RECORD_CHARS + 4), dek, fileId)).toThrow(DecryptionError);
  });
});
