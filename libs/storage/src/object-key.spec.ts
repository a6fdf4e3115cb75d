import { createHmac } from 'node:crypto';
import {
  assertValidKey,
  assertValidPrefix,
  fileObjectKey,
  InvalidObjectKeyError,
  ownerHash,
  OWNER_HASH_MARKER,
  OWNER_HASH_PATTERN,
  ownerKeyPrefix,
  sharedObjectKey,
} from './object-key';

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

describe('the server key layout', () => {
  const secret = 's'.repeat(32);
  const user = '6f1c2a7e-3b7d-4a51-9f0e-2d6c8b1a4e90';
  const file = '3f2a9c1e-1b2c-4d5e-8f90-123456789abc';

  it('hashes the owner as usrh- and the first 32 hex digits of HMAC-SHA256(secret, user id)', () => {
    const expected = `usrh-${createHmac('sha256', secret).update(user).digest('hex').slice(0, 32)}`;
    expect(ownerHash(secret, user)).toBe(expected);
    expect(ownerHash(secret, user)).toMatch(OWNER_HASH_PATTERN);
    expect(ownerHash(secret, user).startsWith(OWNER_HASH_MARKER)).toBe(true);
    expect(ownerHash('t'.repeat(32), user)).not.toBe(expected);
  });

  it('builds valid keys and a prefix that covers exactly one owner', () => {
    const key = fileObjectKey(ownerHash(secret, user), file);
    expect(key).toBe(`${ownerHash(secret, user)}/${file}`);
    expect(() => assertValidKey(key)).not.toThrow();
    expect(key.startsWith(ownerKeyPrefix(secret, user))).toBe(true);
    expect(ownerKeyPrefix(secret, user).endsWith('/')).toBe(true);
    expect(() => assertValidPrefix(ownerKeyPrefix(secret, user))).not.toThrow();
  });

  it('turns a share link into a key only for owner hashes the server makes', () => {
    const owner = ownerHash(secret, user);
    expect(sharedObjectKey(owner, file)).toBe(fileObjectKey(owner, file));
    for (const bad of ['usrh-short', `usrh-${'A'.repeat(32)}`, `${owner}x`, '../x', '']) {
      expect(sharedObjectKey(bad, file)).toBeUndefined();
    }
  });
});
