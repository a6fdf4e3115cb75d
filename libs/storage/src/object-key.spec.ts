import { assertValidKey, assertValidPrefix, InvalidObjectKeyError } from './object-key';

describe('assertValidKey', () => {
  it.each(['usrh-0123456789abcdef0123456789abcdef/3f2a9c1e-1b2c-4d5e-8f90-123456789abc', 'a', 'a/b/c', 'A.b_c-D', '.hidden', 'a/..b'])(
    'accepts %j',
    (key) => {
      expect(() => assertValidKey(key)).not.toThrow();
    },
  );

  it.each([
    ['empty', ''],
    ['parent segment', '../x'],
    ['parent segment inside', 'a/../b'],
    ['current segment', 'a/./b'],
    ['absolute', '/a'],
    ['trailing slash', 'a/'],
    ['empty segment', 'a//b'],
    ['backslash', 'a\\b'],
    ['space', 'a b'],
    ['percent', 'a%2fb'],
    ['non-ASCII', 'é'],
    ['newline', 'a\nb'],
    ['NUL', 'a\0b'],
    ['tilde, which temporary files use', 'a~b'],
    ['too long', 'a'.repeat(1025)],
  ])('refuses a key with %s', (_what, key) => {
    expect(() => assertValidKey(key)).toThrow(InvalidObjectKeyError);
  });
});

describe('assertValidPrefix', () => {
  it.each(['usrh-aaaa/', 'usrh-', 'usrh-aaaa/3f', 'a/b/'])('accepts %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it.each(['', '/', '../', 'a/../', 'a//', '/a/', 'a b/'])('refuses %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(InvalidObjectKeyError);
  });
});
