import { randomBytes, randomUUID } from 'node:crypto';
import { generateAccountKeyPair } from './key-pair';
import { sealFileKey, unsealFileKey } from './sealed-key';

describe('sealed file key', () => {
  const pair = generateAccountKeyPair();
  const fileId = randomUUID();
  const dek = randomBytes(32);

  it('seals to the public key and unseals with the pair', () => {
    const sealed = sealFileKey(dek, fileId, pair.publicKey);
    expect(sealed).toMatch(/^[A-Za-z0-9+/]{108}$/);
    expect(Buffer.from(sealed, 'base64')[0]).toBe(1);
    expect(unsealFileKey(sealed, fileId, pair).equals(dek)).toBe(true);
  });

  it('uses a fresh ephemeral key for every seal', () => {
    const [a, b] = [sealFileKey(dek, fileId, pair.publicKey), sealFileKey(dek, fileId, pair.publicKey)];
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64').subarray(1, 33).equals(Buffer.from(b, 'base64').subarray(1, 33))).toBe(false);
    expect(unsealFileKey(b, fileId, pair).equals(dek)).toBe(true);
  });

  it('refuses a DEK that is not 32 bytes and a file id that is not a lowercase UUID', () => {
    expect(() => sealFileKey(randomBytes(16), fileId, pair.publicKey)).toThrow(RangeError);
    expect(() => sealFileKey(dek, fileId.toUpperCase(), pair.publicKey)).toThrow(RangeError);
    expect(() => unsealFileKey(sealFileKey(dek, fileId, pair.publicKey), `${fileId} `, pair)).toThrow(RangeError);
  });
});
