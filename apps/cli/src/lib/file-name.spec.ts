import { UsageError } from './errors';
import { safeLocalName, validateUploadName } from './file-name';

describe('safeLocalName (names from the server never escape the destination)', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../.bashrc', 'bashrc'],
    ['/etc/passwd', 'passwd'],
    ['..\\..\\win.ini', 'win.ini'],
    ['a\nb\u001b.txt', 'a_b_.txt'],
    ['..', 'fallback'],
    ['.', 'fallback'],
    ['', 'fallback'],
    ['dir/', 'dir'],
  ])('%j → %j', (name, expected) => {
    expect(safeLocalName(name, 'fallback')).toBe(expected);
  });

  it('shortens very long names to 200 bytes', () => {
    expect(Buffer.byteLength(safeLocalName('é'.repeat(300), 'f'))).toBeLessThanOrEqual(200);
  });
});

describe('validateUploadName', () => {
  it('accepts 1 to 255 characters', () => {
    expect(validateUploadName('a'.repeat(255))).toHaveLength(255);
  });

  it.each([[''], ['a'.repeat(256)], ['tab\there']])('refuses %j', (name) => {
    expect(() => validateUploadName(name)).toThrow(UsageError);
  });
});
