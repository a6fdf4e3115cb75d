import { blobSize } from '@coffer/crypto';
import { plaintextSizeOf } from './plaintext-size';

describe('plaintextSizeOf', () => {
  it.each([0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 5, 5 * 1024 ** 3])('inverts blobSize exactly for %d plaintext bytes', (size) => {
    expect(plaintextSizeOf(blobSize(size))).toBe(size);
  });

  it.each([0, 31, 65_568 + 1, 65_568 + 32])('gives undefined for %d stored bytes, which no plaintext makes', (stored) => {
    expect(plaintextSizeOf(stored)).toBeUndefined();
  });
});
