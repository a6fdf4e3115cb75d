import type { ArgumentMetadata } from '@nestjs/common';
import { DomainError } from '../../common/domain-error';
import { createValidationPipe } from '../../common/validation';
import { CompleteRequest, FileIdQuery, IdPrefixQuery, PresignRequest } from './files.dto';
import { toRfc3339 } from '../../common/rfc3339';

const pipe = createValidationPipe();

async function check(metatype: ArgumentMetadata['metatype'], value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<string | undefined> {
  try {
    await pipe.transform(value, { type, metatype });
    return undefined;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'VALIDATION_FAILED') return err.message;
    throw err;
  }
}

const completeBody = { file_id: '3f2a0000-0000-4000-8000-000000000000', plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '' };

describe('file DTOs', () => {
  describe('PresignRequest', () => {
    it.each([
      ['a plain name', { file_name: 'report.pdf', mime_type: 'application/pdf' }],
      ['255 emoji (code points, not UTF-16 units)', { file_name: '😀'.repeat(255), mime_type: '' }],
      ['a declared size', { file_name: 'a', mime_type: 'x', size: 5_000_000_000 }],
      ['a null size', { file_name: 'a', mime_type: 'x', size: null }],
    ])('accepts %s', async (_, body) => {
      expect(await check(PresignRequest, body)).toBeUndefined();
    });

    it.each([
      ['an empty name', { file_name: '', mime_type: 'x' }, /file_name/],
      ['a 256-character name', { file_name: 'a'.repeat(256), mime_type: 'x' }, /file_name/],
      ['a C0 control character', { file_name: 'a\tb', mime_type: 'x' }, /file_name/],
      ['a C1 control character', { file_name: 'a\u0085b', mime_type: 'x' }, /file_name/],
      ['a long MIME type', { file_name: 'a', mime_type: 'x'.repeat(256) }, /mime_type/],
      ['a negative size', { file_name: 'a', mime_type: 'x', size: -1 }, /size/],
      ['a fractional size', { file_name: 'a', mime_type: 'x', size: 0.5 }, /size/],
      ['an unsafe integer size', { file_name: 'a', mime_type: 'x', size: 2 ** 60 }, /size/],
      ['an unknown field', { file_name: 'a', mime_type: 'x', owner: 'me' }, /unknown field "owner"/],
    ])('refuses %s', async (_, body, message) => {
      expect(await check(PresignRequest, body)).toMatch(message);
    });
  });

  describe('CompleteRequest', () => {
    it('accepts the stock client body and the Coffer extensions', async () => {
      expect(await check(CompleteRequest, completeBody)).toBeUndefined();
      expect(
        await check(CompleteRequest, {
          ...completeBody,
          plaintext_hash: 'a'.repeat(64),
          passphrase_salt: 'c2FsdHNhbHRzYWx0c2FsdA==',
          key_commitment: 'q83vEjRWeJA=',
          kdf_params: { alg: 'argon2id', m: 65536, t: 3, p: 1 },
        }),
      ).toBeUndefined();
    });

    it.each([
      ['an uppercase hash', { plaintext_hash: 'A'.repeat(64) }, /plaintext_hash/],
      ['a short hash', { plaintext_hash: 'a'.repeat(63) }, /plaintext_hash/],
      ['unpadded base64 salt', { passphrase_salt: 'c2FsdA' }, /passphrase_salt/],
      ['URL-safe base64 salt', { passphrase_salt: 'c2_-dA==' }, /passphrase_salt/],
      ['a missing salt', { passphrase_salt: undefined }, /passphrase_salt/],
      ['an empty key commitment', { key_commitment: '' }, /key_commitment/],
      ['another KDF', { kdf_params: { alg: 'pbkdf2', m: 65536, t: 3, p: 1 } }, /alg/],
      ['KDF memory out of bounds', { kdf_params: { alg: 'argon2id', m: 2 * 1024 * 1024, t: 3, p: 1 } }, /m must not be greater/],
      ['KDF parameters as a string', { kdf_params: '{"alg":"argon2id"}' }, /kdf_params/],
      ['an uppercase file id', { file_id: '3F2A0000-0000-4000-8000-000000000000' }, /file_id/],
    ])('refuses %s', async (_, change, message) => {
      expect(await check(CompleteRequest, { ...completeBody, ...change })).toMatch(message);
    });
  });

  describe('id queries', () => {
    it.each(['%', '_', 'zz', '', 'a b', 'a'.repeat(37)])('refuses the prefix %p', async (id) => {
      expect(await check(IdPrefixQuery, { id }, 'query')).toMatch(/id must be/);
    });

    it('refuses a repeated id parameter', async () => {
      expect(await check(IdPrefixQuery, { id: ['ab', 'cd'] }, 'query')).toBeDefined();
    });

    it('accepts prefixes and full ids; hash and salt take full ids only', async () => {
      expect(await check(IdPrefixQuery, { id: '3f2a-' }, 'query')).toBeUndefined();
      expect(await check(FileIdQuery, { id: completeBody.file_id }, 'query')).toBeUndefined();
      expect(await check(FileIdQuery, { id: '3f2a' }, 'query')).toMatch(/UUID/);
    });
  });

  it('formats timestamps as RFC 3339 UTC with whole seconds', () => {
    expect(toRfc3339(new Date('2026-01-01T00:00:00.999Z'))).toBe('2026-01-01T00:00:00Z');
  });
});
