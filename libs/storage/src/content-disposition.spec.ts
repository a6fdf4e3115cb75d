import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('is a bare attachment without a file name', () => {
    expect(contentDisposition()).toBe('attachment');
    expect(contentDisposition('')).toBe('attachment');
  });

  it('quotes a plain ASCII name as is', () => {
    expect(contentDisposition("report (v2) it's.pdf")).toBe(`attachment; filename="report (v2) it's.pdf"`);
  });

  it('adds an RFC 5987 filename* with an ASCII fallback for non-ASCII names', () => {
    expect(contentDisposition('résumé €.txt')).toBe(
      `attachment; filename="r_sum_ _.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt`,
    );
  });

  it('never lets a quote, backslash or percent sign into the quoted name', () => {
    expect(contentDisposition('a"b\\c%41.txt')).toBe(`attachment; filename="a_b_c_41.txt"; filename*=UTF-8''a%22b%5Cc%2541.txt`);
  });

  it('keeps control characters out of the header', () => {
    const header = contentDisposition('evil\r\nSet-Cookie: x=1\t.txt');

    expect(header).toBe(
      `attachment; filename="evil__Set-Cookie: x=1_.txt"; filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20x%3D1%09.txt`,
    );
    expect(header).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('encodes astral characters as one fallback character and four UTF-8 bytes', () => {
    expect(contentDisposition('💾.bin')).toBe(`attachment; filename="_.bin"; filename*=UTF-8''%F0%9F%92%BE.bin`);
  });

  it('turns a lone surrogate into U+FFFD instead of throwing', () => {
    expect(contentDisposition('a\uD800b')).toBe(`attachment; filename="a_b"; filename*=UTF-8''a%EF%BF%BDb`);
  });

  it('escapes every character RFC 5987 does not allow bare, so decoding gives the name back', () => {
    const name = "x'*()!#$&+^`|~;,=[]{}<>?@:/ é";
    const encoded = contentDisposition(name).split("filename*=UTF-8''")[1];

    expect(encoded).toMatch(/^[A-Za-z0-9\-._~%]+$/);
    expect(decodeURIComponent(encoded)).toBe(name);
  });
});
