import { formatBytes, formatExactBytes } from './sizes';

describe('sizes', () => {
  it('formats in binary units only', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * 1024 ** 2)).toBe('64 MiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatBytes(5_000_000_000)).toBe('4.7 GiB');
    expect(formatBytes(1024 ** 4)).toBe('1 TiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
  });

  it('adds the exact byte count for limits and sizes in messages', () => {
    expect(formatExactBytes(1)).toBe('1 byte');
    expect(formatExactBytes(100)).toBe('100 bytes');
    expect(formatExactBytes(5_000_000_000)).toBe('4.7 GiB (5,000,000,000 bytes)');
    expect(formatExactBytes(10 * 1024 ** 3)).toBe('10 GiB (10,737,418,240 bytes)');
  });

  it('never prints a decimal unit', () => {
    for (let bytes = 1; bytes < 2 ** 53; bytes = bytes * 7 + 3) expect(formatExactBytes(bytes)).not.toMatch(/\b[kKMGTP]B\b/);
  });
});
