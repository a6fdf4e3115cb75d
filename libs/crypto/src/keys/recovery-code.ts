import { randomBytes } from 'node:crypto';
import { AccountKeyError } from './account-key-error';

/** 160 random bits: too many to guess, so the recovery wrap needs no slow KDF. */
export const RECOVERY_CODE_BYTES = 20;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford's base32
const DIGITS = RECOVERY_CODE_BYTES * 8 / 5;
const GROUP = 4;
// Crockford's decoding also reads the letters people confuse with digits.
const ALIASES: Record<string, string> = { I: '1', L: '1', O: '0' };

/** A fresh recovery code: 32 Crockford base32 digits in 8 groups of 4, e.g. `7K3M-…`. */
export function newRecoveryCode(): string {
  return formatRecoveryCode(randomBytes(RECOVERY_CODE_BYTES));
}

export function formatRecoveryCode(secret: Uint8Array): string {
  if (secret.length !== RECOVERY_CODE_BYTES) throw new RangeError(`a recovery code holds ${RECOVERY_CODE_BYTES} bytes`);
  let digits = '';
  let bits = 0n;
  for (const byte of secret) bits = (bits << 8n) | BigInt(byte);
  for (let i = DIGITS - 1; i >= 0; i--) digits += ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)];
  return digits.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/** The 20 bytes of a typed code: case-insensitive, '-' and whitespace ignored; anything else is WRONG_RECOVERY_CODE. */
export function parseRecoveryCode(code: string): Buffer {
  const digits = typeof code === 'string' ? code.replace(/[\s-]/g, '').toUpperCase() : '';
  if (digits.length !== DIGITS) throw notACode();
  let bits = 0n;
  for (const char of digits) {
    const value = ALPHABET.indexOf(ALIASES[char] ?? char);
    if (value < 0) throw notACode();
    bits = (bits << 5n) | BigInt(value);
  }
  const secret = Buffer.alloc(RECOVERY_CODE_BYTES);
  for (let i = RECOVERY_CODE_BYTES - 1; i >= 0; i--, bits >>= 8n) secret[i] = Number(bits & 255n);
  return secret;
}

function notACode(): AccountKeyError {
  return new AccountKeyError('WRONG_RECOVERY_CODE', `not a recovery code: it has ${DIGITS} characters from ${ALPHABET} (groups of ${GROUP} separated by '-')`);
}
