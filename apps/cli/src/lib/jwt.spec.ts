import { jwtExpiry, jwtSubject, needsRefresh } from './jwt';

function jwt(payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

describe('jwtExpiry', () => {
  it('reads exp from the payload without checking the signature', () => {
    expect(jwtExpiry(jwt({ sub: 'u', exp: 1_900_000_000 }))).toBe(1_900_000_000);
  });

  it.each([
    ['an opaque token', 'abcdef'],
    ['a payload that is not JSON', 'a.b.c'],
    ['no exp', jwt({ sub: 'u' })],
    ['a string exp', jwt({ exp: '1900000000' })],
  ])('is undefined for %s', (_case, token) => {
    expect(jwtExpiry(token)).toBeUndefined();
  });
});

describe('needsRefresh', () => {
  const now = 1_800_000_000_000;

  it('refreshes a token that expires within the margin', () => {
    expect(needsRefresh(jwt({ exp: now / 1000 + 30 }), now)).toBe(true);
  });

  it('refreshes an expired token', () => {
    expect(needsRefresh(jwt({ exp: now / 1000 - 5 }), now)).toBe(true);
  });

  it('keeps a token with time left', () => {
    expect(needsRefresh(jwt({ exp: now / 1000 + 600 }), now)).toBe(false);
  });

  it('keeps a token of unknown expiry (the server decides; a 401 triggers a refresh)', () => {
    expect(needsRefresh('opaque', now)).toBe(false);
  });
});

describe('jwtSubject', () => {
  it('reads sub, or nothing from a token without one', () => {
    expect(jwtSubject(jwt({ sub: 'user-1', exp: 1 }))).toBe('user-1');
    expect(jwtSubject(jwt({ exp: 1 }))).toBeUndefined();
    expect(jwtSubject('opaque')).toBeUndefined();
  });
});
