import { formatBytes as contractFormatBytes } from '@coffer/contract';
import { formatBytes, formatDuration, formatTable, formatTimestamp, printable, shortId } from './format';

describe('formatBytes', () => {
  it('is the helper the server\'s messages use (libs/contract), so both show one unit style', () => {
    expect(formatBytes).toBe(contractFormatBytes);
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [1024 * 1024 * 150, '150 MiB'],
    [1024 ** 3 * 1.25, '1.3 GiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [59.2, '1 min'],
    [61, '1 min 1 s'],
    [3600 * 2 + 60 * 5, '2 h 5 min'],
    [86_400 + 3600, '1 d 1 h'],
  ])('%d s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('formatTable', () => {
  it('aligns columns, right-aligning where asked', () => {
    expect(formatTable(['ID', 'SIZE'], [['a', '1 B'], ['bbbb', '10 KiB']], [false, true])).toBe(['ID      SIZE', 'a        1 B', 'bbbb  10 KiB'].join('\n'));
  });

  it('neutralizes control characters in cells (names come from the server)', () => {
    expect(formatTable(['N'], [['a\u001b[2Jb']])).toBe('N\na?[2Jb');
  });
});

describe('small helpers', () => {
  it('shortId keeps 8 characters', () => {
    expect(shortId('8c1f0d2e-2c77-4a43-9d57-0d9d1b0f8a3e')).toBe('8c1f0d2e');
  });

  it('formatTimestamp shows minutes in UTC', () => {
    expect(formatTimestamp('2026-01-02T03:04:05Z')).toBe('2026-01-02 03:04 UTC');
    expect(formatTimestamp('garbage')).toBe('garbage');
  });

  it('printable replaces control characters', () => {
    expect(printable('a\nb\u0007')).toBe('a?b?');
  });
});
