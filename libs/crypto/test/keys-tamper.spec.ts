import { randomBytes, randomUUID } from 'node:crypto';
import {
  AccountKeyError,
  DecryptionError,
  decryptMetadata,
  encryptMetadata,
  generateAccountKeyPair,
  newRecoveryCode,
  parseKeyBundle,
  randomDek,
  sealFileKey,
  serializeKeyBundle,
  unsealFileKey,
  unwrapWithPassword,
  unwrapWithRecoveryCode,
  wrapWithPassword,
  wrapWithRecoveryCode,
  type AccountKeyErrorCode,
  type FileMetadata,
  type KdfBounds,
  type KeyBundle,
} from '@coffer/crypto';
import { argon2idKey } from '../src/format/kdf';
import { aeadSeal } from '../src/keys/aead';
import { passwordAad } from '../src/keys/password-wrap';

/** Cheap Argon2id for tests: the wrap uses m 512 / t 2 so that lowering either stays within these bounds. */
const bounds: KdfBounds = { m: { min: 64, max: 4096 }, t: { min: 1, max: 4 }, p: { min: 1, max: 2 } };
const kdf = { alg: 'argon2id', m: 512, t: 2, p: 1 } as const;
const password = 'correct horse battery staple';

/**
 * X25519 public keys of small order (0, 1, the order-8 points, p - 1) and their non-canonical
 * spellings (+ p): each gives the all-zero shared secret.
 */
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Buffer.from(hex, 'hex'));

const flip = (data: Buffer, bit: number): Buffer => {
  const copy = Buffer.from(data);
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
};
const b64 = (data: Buffer) => data.toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64');

/** The error of `run`, which must be an AccountKeyError with `code` (a returned value would be wrong plaintext). */
async function refusal(run: () => unknown): Promise<AccountKeyErrorCode> {
  let result: unknown;
  try {
    result = await run();
  } catch (error) {
    if (!(error instanceof AccountKeyError)) throw error;
    return error.code;
  }
  throw new Error(`accepted, returning ${JSON.stringify(result)}`);
}

describe('account key tamper suite', () => {
  const userId = randomUUID();
  const otherUserId = randomUUID();
  const pair = generateAccountKeyPair();
  const other = generateAccountKeyPair();
  const code = newRecoveryCode();
  const fileA = randomUUID();
  const fileB = randomUUID();
  const dek = randomDek();
  const meta: FileMetadata = { name: 'taxes 2026.pdf', media_type: 'application/pdf', sha256: 'ab'.repeat(32), size: 1234 };
  let bundle: KeyBundle;
  let otherBundle: KeyBundle;

  beforeAll(async () => {
    bundle = {
      v: 1,
      public_key: b64(pair.publicKey),
      password: await wrapWithPassword(pair, userId, password, { kdf, bounds }),
      recovery: wrapWithRecoveryCode(pair, userId, code),
    };
    otherBundle = {
      v: 1,
      public_key: b64(other.publicKey),
      password: await wrapWithPassword(other, otherUserId, password, { kdf, bounds }),
      recovery: wrapWithRecoveryCode(other, otherUserId, code),
    };
  });

  const withPassword = (change: Partial<KeyBundle['password']>): KeyBundle => ({ ...bundle, password: { ...bundle.password, ...change } });
  const unwrap = (candidate: KeyBundle, user = userId, secret = password) => unwrapWithPassword(candidate, user, secret, { bounds });

  it('opens the untouched bundle, sealed key and record (the control case)', async () => {
    expect((await unwrap(bundle)).privateKey.equals(pair.privateKey)).toBe(true);
    expect(unwrapWithRecoveryCode(bundle, userId, code).privateKey.equals(pair.privateKey)).toBe(true);
    expect(unsealFileKey(sealFileKey(dek, fileA, pair.publicKey), fileA, pair).equals(dek)).toBe(true);
    expect(decryptMetadata(encryptMetadata(meta, dek, fileA), dek, fileA)).toEqual(meta);
  });

  describe('the password wrap', () => {
    it.each(['wrapped', 'nonce', 'salt'] as const)('refuses every flipped bit of %s', async (field) => {
      const value = unb64(bundle.password[field]);
      for (let bit = 0; bit < value.length * 8; bit++) {
        expect(await refusal(() => unwrap(withPassword({ [field]: b64(flip(value, bit)) })))).toBe('WRONG_PASSWORD');
      }
    }, 60_000);

    it('refuses every flipped bit of the public key (it is in the associated data)', async () => {
      for (let bit = 0; bit < 256; bit++) {
        expect(await refusal(() => unwrap({ ...bundle, public_key: b64(flip(pair.publicKey, bit)) }))).toBe('WRONG_PASSWORD');
      }
    }, 60_000);

    it('refuses a wrong password, and the same password with another user id', async () => {
      expect(await refusal(() => unwrap(bundle, userId, `${password}!`))).toBe('WRONG_PASSWORD');
      expect(await refusal(() => unwrap(bundle, otherUserId))).toBe('WRONG_PASSWORD');
    });

    it("refuses another account's bundle, whole or in parts", async () => {
      expect(await refusal(() => unwrap(otherBundle))).toBe('WRONG_PASSWORD');
      expect(await refusal(() => unwrap({ ...otherBundle, public_key: bundle.public_key }))).toBe('WRONG_PASSWORD');
      expect(await refusal(() => unwrap({ ...bundle, password: otherBundle.password }))).toBe('WRONG_PASSWORD');
    });

    it('refuses a swapped public key', async () => {
      expect(await refusal(() => unwrap({ ...bundle, public_key: b64(other.publicKey) }))).toBe('WRONG_PASSWORD');
    });

    it('refuses a lowered (or raised) KDF parameter within the bounds: the parameters are in the associated data', async () => {
      for (const change of [{ m: 256 }, { m: 64 }, { t: 1 }, { m: 1024 }, { t: 3 }, { p: 2 }]) {
        expect(await refusal(() => unwrap(withPassword({ kdf: { ...kdf, ...change } })))).toBe('WRONG_PASSWORD');
      }
    });

    it('refuses KDF parameters below the bounds before hashing', async () => {
      for (const change of [{ m: 32 }, { m: 8192 }, { t: 5 }, { p: 3 }]) {
        expect(await refusal(() => unwrap(withPassword({ kdf: { ...kdf, ...change } })))).toBe('KDF_OUT_OF_BOUNDS');
      }
      // Zero is no parameter at all.
      for (const change of [{ m: 0 }, { t: 0 }, { p: 0 }]) {
        expect(await refusal(() => unwrap(withPassword({ kdf: { ...kdf, ...change } })))).toBe('MALFORMED');
      }
      // Without test bounds (production), even the cheap parameters of this suite are refused, and
      // so is a memory cost that would exhaust the machine if it were hashed.
      expect(await refusal(() => unwrapWithPassword(bundle, userId, password))).toBe('KDF_OUT_OF_BOUNDS');
      const grinding = withPassword({ kdf: { ...kdf, m: 0xffffffff, t: 1000 } });
      expect(await refusal(() => unwrapWithPassword(grinding, userId, password))).toBe('KDF_OUT_OF_BOUNDS');
    });

    it('refuses a wrap whose private key does not belong to the public key', async () => {
      // Only someone holding the password could build this; the pair check still catches it.
      const salt = randomBytes(16);
      const nonce = randomBytes(12);
      const kek = await argon2idKey(password, salt, kdf, bounds);
      const wrapped = aeadSeal(kek, nonce, other.privateKey, passwordAad(Buffer.from(userId), pair.publicKey, kdf));
      expect(await refusal(() => unwrap(withPassword({ salt: b64(salt), nonce: b64(nonce), wrapped: b64(wrapped) })))).toBe('PAIR_MISMATCH');
    });

    it('refuses a pair whose halves do not match when wrapping', async () => {
      const mixed = { publicKey: other.publicKey, privateKey: pair.privateKey };
      expect(await refusal(() => wrapWithPassword(mixed, userId, password, { kdf, bounds }))).toBe('PAIR_MISMATCH');
      expect(await refusal(() => wrapWithRecoveryCode(mixed, userId, code))).toBe('PAIR_MISMATCH');
      for (const point of LOW_ORDER_POINTS) {
        expect(await refusal(() => wrapWithRecoveryCode({ publicKey: point, privateKey: pair.privateKey }, userId, code))).toBe('PAIR_MISMATCH');
      }
    });

    it('refuses a low-order public key in the bundle', async () => {
      for (const point of LOW_ORDER_POINTS) {
        expect(await refusal(() => unwrap({ ...bundle, public_key: b64(point) }))).toBe('WRONG_PASSWORD');
      }
    });
  });

  describe('the recovery wrap', () => {
    it.each(['wrapped', 'nonce'] as const)('refuses every flipped bit of %s', (field) => {
      const value = unb64(bundle.recovery![field]);
      for (let bit = 0; bit < value.length * 8; bit++) {
        const tampered = { ...bundle, recovery: { ...bundle.recovery!, [field]: b64(flip(value, bit)) } };
        expect(() => unwrapWithRecoveryCode(tampered, userId, code)).toThrow(expect.objectContaining({ code: 'WRONG_RECOVERY_CODE' }));
      }
    });

    it('refuses a wrong code, a mistyped code, another user id, a swapped public key and another account', async () => {
      expect(await refusal(() => unwrapWithRecoveryCode(bundle, userId, newRecoveryCode()))).toBe('WRONG_RECOVERY_CODE');
      const mistyped = code.replace(/^./, (first) => (first === 'A' ? 'B' : 'A'));
      expect(await refusal(() => unwrapWithRecoveryCode(bundle, userId, mistyped))).toBe('WRONG_RECOVERY_CODE');
      for (const malformed of [code.slice(0, -1), `${code}0`, code.replace(/.$/, 'U'), '']) {
        expect(await refusal(() => unwrapWithRecoveryCode(bundle, userId, malformed))).toBe('WRONG_RECOVERY_CODE');
      }
      expect(await refusal(() => unwrapWithRecoveryCode(bundle, otherUserId, code))).toBe('WRONG_RECOVERY_CODE');
      expect(await refusal(() => unwrapWithRecoveryCode({ ...bundle, public_key: b64(other.publicKey) }, userId, code))).toBe('WRONG_RECOVERY_CODE');
      expect(await refusal(() => unwrapWithRecoveryCode({ ...bundle, recovery: otherBundle.recovery }, userId, code))).toBe('WRONG_RECOVERY_CODE');
      expect(await refusal(() => unwrapWithRecoveryCode({ ...bundle, recovery: null }, userId, code))).toBe('NO_RECOVERY_CODE');
    });
  });

  describe('the bundle', () => {
    const json = () => serializeKeyBundle(bundle);
    const edit = (change: (value: any) => void): string => {
      const value = JSON.parse(json());
      change(value);
      return JSON.stringify(value);
    };

    it('refuses truncated, extended and non-canonical values', async () => {
      const cases: Array<(value: any) => void> = [
        (v) => (v.public_key = b64(pair.publicKey.subarray(1))),
        (v) => (v.public_key = b64(Buffer.concat([pair.publicKey, Buffer.of(0)]))),
        (v) => (v.password.wrapped = b64(unb64(v.password.wrapped).subarray(0, 47))),
        (v) => (v.password.wrapped = b64(Buffer.concat([unb64(v.password.wrapped), Buffer.of(0)]))),
        (v) => (v.password.nonce = b64(unb64(v.password.nonce).subarray(1))),
        (v) => (v.password.salt = b64(Buffer.concat([unb64(v.password.salt), Buffer.of(0)]))),
        (v) => (v.recovery.wrapped = b64(unb64(v.recovery.wrapped).subarray(1))),
        (v) => (v.public_key = (v.public_key as string).replace(/=$/, '')),
        (v) => (v.public_key = `${v.public_key as string} `),
        (v) => (v.public_key = (v.public_key as string).replace(/\+/g, '-').replace(/\//g, '_').replace(/^./, '-')),
        (v) => (v.password.nonce = (v.password.nonce as string).replace(/.$/, '!')),
        (v) => (v.public_key = (v.public_key as string).replace(/.=$/, (last) => `${String.fromCharCode(last.charCodeAt(0) ^ 1)}=`)),
      ];
      for (const change of cases) {
        const text = edit(change);
        expect(await refusal(() => parseKeyBundle(text))).toBe('MALFORMED');
        expect(await refusal(() => unwrap(JSON.parse(text)))).toBe('MALFORMED');
      }
    });

    it('refuses unknown, missing and mistyped fields, and another version', async () => {
      const cases: Array<(value: any) => void> = [
        (v) => (v.extra = 1),
        (v) => (v.password.extra = 1),
        (v) => (v.recovery.extra = 1),
        (v) => (v.password.kdf.extra = 1),
        (v) => delete v.recovery,
        (v) => delete v.password.salt,
        (v) => (v.v = 2),
        (v) => (v.password.kdf.alg = 'argon2i'),
        (v) => (v.password.kdf.m = '512'),
        (v) => (v.password.kdf.t = 1.5),
        (v) => (v.password = null),
        (v) => (v.recovery = []),
        (v) => (v.public_key = 42),
      ];
      for (const change of cases) {
        expect(await refusal(() => parseKeyBundle(edit(change)))).toBe('MALFORMED');
      }
      for (const text of ['', 'null', '[]', '{', `${json()}x`, json().replace('}', `,"pad":"${'x'.repeat(4096)}"}`)]) {
        expect(await refusal(() => parseKeyBundle(text))).toBe('MALFORMED');
      }
    });

    it('reads back what it writes', () => {
      expect(parseKeyBundle(json())).toEqual(bundle);
    });
  });

  describe('the sealed file key', () => {
    const sealed = () => sealFileKey(dek, fileA, pair.publicKey);

    it('refuses every flipped bit', () => {
      const raw = unb64(sealed());
      for (let bit = 0; bit < raw.length * 8; bit++) {
        expect(() => unsealFileKey(b64(flip(raw, bit)), fileA, pair)).toThrow(expect.objectContaining({ code: 'SEALED_KEY_INVALID' }));
      }
    });

    it('refuses the sealed key of file A presented for file B', async () => {
      expect(await refusal(() => unsealFileKey(sealed(), fileB, pair))).toBe('SEALED_KEY_INVALID');
    });

    it('refuses another account key pair, and a pair with a swapped public key', async () => {
      expect(await refusal(() => unsealFileKey(sealed(), fileA, other))).toBe('SEALED_KEY_INVALID');
      expect(await refusal(() => unsealFileKey(sealed(), fileA, { ...pair, publicKey: other.publicKey }))).toBe('SEALED_KEY_INVALID');
    });

    it('refuses truncated, extended, non-canonical and other-version sealed keys', async () => {
      const raw = unb64(sealed());
      for (const bad of [
        b64(raw.subarray(0, 80)),
        b64(Buffer.concat([raw, Buffer.of(0)])),
        b64(Buffer.concat([Buffer.of(2), raw.subarray(1)])),
        sealed().replace(/\+/g, '-').replace(/\//g, '_').replace(/^./, '_'),
        `${sealed()}\n`,
        '',
      ]) {
        expect(await refusal(() => unsealFileKey(bad, fileA, pair))).toBe('SEALED_KEY_INVALID');
      }
    });

    it('refuses low-order ephemeral keys, and will not seal to a low-order account key', async () => {
      const raw = unb64(sealed());
      for (const point of LOW_ORDER_POINTS) {
        const forged = Buffer.concat([raw.subarray(0, 1), point, raw.subarray(33)]);
        expect(await refusal(() => unsealFileKey(b64(forged), fileA, pair))).toBe('SEALED_KEY_INVALID');
        expect(await refusal(() => sealFileKey(dek, fileA, point))).toBe('MALFORMED');
      }
    });
  });

  describe('the encrypted metadata record', () => {
    const record = () => encryptMetadata(meta, dek, fileA);
    const refused = (run: () => unknown) => expect(run).toThrow(DecryptionError);

    it('refuses every flipped bit', () => {
      const raw = unb64(record());
      for (let bit = 0; bit < raw.length * 8; bit++) refused(() => decryptMetadata(b64(flip(raw, bit)), dek, fileA));
    });

    it('refuses the record of file A presented for file B, and another key', () => {
      refused(() => decryptMetadata(record(), dek, fileB));
      refused(() => decryptMetadata(record(), randomDek(), fileA));
    });

    it('refuses truncated, extended and non-canonical records', () => {
      const raw = unb64(record());
      for (const bad of [
        b64(raw.subarray(0, raw.length - 1)),
        b64(raw.subarray(0, 29)),
        b64(raw.subarray(0, 28)),
        b64(Buffer.concat([raw, Buffer.of(0x20)])),
        `${record()} `,
        record().replace(/=+$/, ''),
        '',
      ]) {
        refused(() => decryptMetadata(bad, dek, fileA));
      }
    });
  });
});
