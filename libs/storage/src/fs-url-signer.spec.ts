import { createHmac } from 'node:crypto';
import { buildFsUrl, fsStringToSign, parseFsUrl, signFsClaims, verifyFsSignature, type FsUrlClaims } from './fs-url-signer';

const secret = Buffer.alloc(32, 7);
const put: FsUrlClaims = { method: 'PUT', key: 'usrh-aaaa/f1', expires: 1_900_000_000, length: 1234 };
const get: FsUrlClaims = { method: 'GET', key: 'usrh-aaaa/f1', expires: 1_900_000_000, filename: 'a b&c=é.txt' };

describe('fsStringToSign', () => {
  it('joins method, key, expiry, length and file name with newlines', () => {
    expect(fsStringToSign(put)).toBe('PUT\nusrh-aaaa/f1\n1900000000\n1234\n');
    expect(fsStringToSign(get)).toBe('GET\nusrh-aaaa/f1\n1900000000\n\na b&c=é.txt');
  });
});

describe('signFsClaims', () => {
  it('is hex HMAC-SHA256 of the string to sign', () => {
    const expected = createHmac('sha256', secret).update('PUT\nusrh-aaaa/f1\n1900000000\n1234\n').digest('hex');

    expect(signFsClaims(secret, put)).toBe(expected);
  });

  it('differs for every field', () => {
    const signatures = [
      put,
      { ...put, method: 'GET' as const },
      { ...put, key: 'usrh-aaaa/f2' },
      { ...put, expires: put.expires + 1 },
      { ...put, length: 1235 },
      { ...put, length: undefined },
      { ...put, filename: 'x' },
    ].map((claims) => signFsClaims(secret, claims));

    expect(new Set(signatures).size).toBe(signatures.length);
  });
});

describe('buildFsUrl and parseFsUrl', () => {
  it('round-trip the claims', () => {
    for (const claims of [put, get]) {
      const url = new URL(buildFsUrl('https://coffer.example/base', secret, claims));
      const parsed = parseFsUrl(url.pathname.replace('/base', '') + url.search);

      expect(parsed).toEqual({ ok: true, claims, signature: signFsClaims(secret, claims) });
    }
  });

  it('puts the documented parameters in the URL', () => {
    const url = buildFsUrl('http://127.0.0.1:8080', secret, put);

    expect(url).toBe(
      `http://127.0.0.1:8080/storage/usrh-aaaa/f1?X-Coffer-Method=PUT&X-Coffer-Expires=1900000000&X-Coffer-Length=1234&X-Coffer-Signature=${signFsClaims(secret, put)}`,
    );
  });

  it('answers NOT_FOUND outside /storage/ or for an invalid key', () => {
    expect(parseFsUrl('/other/usrh-aaaa/f1')).toEqual({ ok: false, reason: 'NOT_FOUND' });
    expect(parseFsUrl('/storage/../etc/passwd')).toEqual({ ok: false, reason: 'NOT_FOUND' });
    expect(parseFsUrl('/storage/usrh-aaaa/%2e%2e')).toEqual({ ok: false, reason: 'NOT_FOUND' });
  });

  it.each([
    ['no parameters', ''],
    ['an unknown method', 'X-Coffer-Method=POST&X-Coffer-Expires=1900000000&X-Coffer-Length=&X-Coffer-Signature=' + 'a'.repeat(64)],
    ['a non-canonical expiry', 'X-Coffer-Method=GET&X-Coffer-Expires=01900000000&X-Coffer-Length=&X-Coffer-Signature=' + 'a'.repeat(64)],
    ['a non-canonical length', 'X-Coffer-Method=PUT&X-Coffer-Expires=1900000000&X-Coffer-Length=012&X-Coffer-Signature=' + 'a'.repeat(64)],
    ['a huge length', 'X-Coffer-Method=PUT&X-Coffer-Expires=1900000000&X-Coffer-Length=9999999999999999&X-Coffer-Signature=' + 'a'.repeat(64)],
    ['a short signature', 'X-Coffer-Method=GET&X-Coffer-Expires=1900000000&X-Coffer-Length=&X-Coffer-Signature=abc'],
    ['an uppercase signature', 'X-Coffer-Method=GET&X-Coffer-Expires=1900000000&X-Coffer-Length=&X-Coffer-Signature=' + 'A'.repeat(64)],
    [
      'a repeated parameter',
      'X-Coffer-Method=GET&X-Coffer-Method=GET&X-Coffer-Expires=1900000000&X-Coffer-Length=&X-Coffer-Signature=' + 'a'.repeat(64),
    ],
  ])('answers SIGNATURE_INVALID for %s', (_what, query) => {
    expect(parseFsUrl(`/storage/usrh-aaaa/f1?${query}`)).toEqual({ ok: false, reason: 'SIGNATURE_INVALID' });
  });
});

describe('verifyFsSignature', () => {
  it('accepts the right signature and refuses any other', () => {
    const signature = signFsClaims(secret, put);
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');

    expect(verifyFsSignature(secret, put, signature)).toBe(true);
    expect(verifyFsSignature(secret, put, flipped)).toBe(false);
    expect(verifyFsSignature(Buffer.alloc(32, 8), put, signature)).toBe(false);
    expect(verifyFsSignature(secret, put, signature.slice(0, 62))).toBe(false);
  });
});

describe('part URLs', () => {
  const part: FsUrlClaims = { ...put, part: { uploadId: '0123456789abcdef0123456789abcdef', partNumber: 7 } };

  it('round-trip, and sign a string no PUT or GET shares', () => {
    const url = new URL(buildFsUrl('https://coffer.example', secret, part));

    expect(parseFsUrl(url.pathname + url.search)).toEqual({ ok: true, claims: part, signature: signFsClaims(secret, part) });
    expect(fsStringToSign(part)).toBe('UPLOAD_PART\nusrh-aaaa/f1\n1900000000\n1234\n0123456789abcdef0123456789abcdef\n7');
    expect(signFsClaims(secret, part)).not.toBe(signFsClaims(secret, put));
  });

  it.each([
    ['a malformed upload id', { 'X-Coffer-Upload-Id': 'XYZ' }],
    ['a part number 0', { 'X-Coffer-Part-Number': '0' }],
    ['a non-canonical part number', { 'X-Coffer-Part-Number': '07' }],
    ['no part number', { 'X-Coffer-Part-Number': null }],
    ['no length', { 'X-Coffer-Length': '' }],
    ['a file name', { 'X-Coffer-Filename': 'x' }],
    ['method GET', { 'X-Coffer-Method': 'GET' }],
  ])('refuse %s as SIGNATURE_INVALID', (_, change: Record<string, string | null>) => {
    const url = new URL(buildFsUrl('https://coffer.example', secret, part));
    for (const [name, value] of Object.entries(change)) {
      if (value === null) url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    }

    expect(parseFsUrl(url.pathname + url.search)).toEqual({ ok: false, reason: 'SIGNATURE_INVALID' });
  });
});

