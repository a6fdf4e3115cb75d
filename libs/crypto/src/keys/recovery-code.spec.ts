import { randomBytes } from 'node:crypto';
import { formatRecoveryCode, newRecoveryCode, parseRecoveryCode } from './recovery-code';

const SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/;

describe('recovery code', () => {
  it('is 32 Crockford base32 digits in 8 groups of 4, fresh each time', () => {
    const code = newRecoveryCode();
    expect(code).toMatch(SHAPE);
    expect(newRecoveryCode()).not.toBe(code);
  });

  it('encodes the 20 bytes big-endian, 5 bits a digit', () => {
    expect(formatRecoveryCode(Buffer.alloc(20))).toBe('0000-0000-0000-0000-0000-0000-0000-0000');
    expect(formatRecoveryCode(Buffer.alloc(20, 0xff))).toBe('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    const one = Buffer.alloc(20);
    one[19] = 0b0010_0001; // the last 10 bits, 00001 00001, are the last two digits
    expect(formatRecoveryCode(one)).toBe('0000-0000-0000-0000-0000-0000-0000-0011');
  });

  it('reads back what it writes, whatever the case, spacing and dashes', () => {
    for (let i = 0; i < 50; i++) {
      const secret = randomBytes(20);
      const code = formatRecoveryCode(secret);
      expect(parseRecoveryCode(code).equals(secret)).toBe(true);
      expect(parseRecoveryCode(` ${code.toLowerCase().replace(/-/g, ' ')}\n`).equals(secret)).toBe(true);
      expect(parseRecoveryCode(code.replace(/-/g, '')).equals(secret)).toBe(true);
    }
  });

  it("accepts Crockford's aliases I, L (1) and O (0)", () => {
    const code = formatRecoveryCode(Buffer.alloc(20, 0x00)).replace(/^0000-/, 'OoIl-');
    const expected = parseRecoveryCode('0011' + '0'.repeat(28));
    expect(parseRecoveryCode(code).equals(expected)).toBe(true);
  });

  it('refuses anything else as WRONG_RECOVERY_CODE', () => {
    for (const bad of ['', 'ZZZZ', `${'0'.repeat(31)}U`, `${'0'.repeat(33)}`, `${'0'.repeat(31)}!`]) {
      expect(() => parseRecoveryCode(bad)).toThrow(expect.objectContaining({ code: 'WRONG_RECOVERY_CODE' }));
    }
    expect(() => formatRecoveryCode(Buffer.alloc(19))).toThrow(RangeError);
  });
});
