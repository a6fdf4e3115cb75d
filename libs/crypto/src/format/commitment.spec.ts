import { createHmac, randomBytes } from 'node:crypto';
import { keyCommitment, verifyKeyCommitment } from './commitment';

describe('key commitment', () => {
  const dek = Buffer.alloc(32, 7);
  const prefix = Buffer.from('01020304050607', 'hex');

  it('is base64 of HMAC-SHA256(dek, "coffer/v1/commit" || nonce prefix)', () => {
    const expected = createHmac('sha256', dek).update(Buffer.concat([Buffer.from('coffer/v1/commit'), prefix])).digest('base64');
    expect(keyCommitment(dek, prefix)).toBe(expected);
    // Computed independently with Python's hmac module.
    expect(keyCommitment(dek, prefix)).toBe('aO2+GsGaXV1ybSWMuv5sVxidBcwA9wVqKtblDPJlLGc=');
  });

  it('verifies only the commitment of the same key and prefix', () => {
    const commitment = keyCommitment(dek, prefix);
    expect(verifyKeyCommitment(dek, prefix, commitment)).toBe(true);
    expect(verifyKeyCommitment(randomBytes(32), prefix, commitment)).toBe(false);
    expect(verifyKeyCommitment(dek, randomBytes(7), commitment)).toBe(false);
    expect(verifyKeyCommitment(dek, prefix, commitment.slice(0, 20))).toBe(false);
    expect(verifyKeyCommitment(dek, prefix, '')).toBe(false);
  });

  it('rejects a DEK or nonce prefix of the wrong size', () => {
    expect(() => keyCommitment(randomBytes(16), prefix)).toThrow('DEK must be 32 bytes, got 16');
    expect(() => keyCommitment(dek, randomBytes(12))).toThrow('nonce prefix must be 7 bytes, got 12');
  });
});
