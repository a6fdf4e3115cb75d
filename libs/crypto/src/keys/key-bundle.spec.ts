import { randomUUID } from 'node:crypto';
import { DEFAULT_KDF_PARAMS, type KdfBounds } from '../format/kdf';
import { generateAccountKeyPair } from './key-pair';
import { MAX_BUNDLE_BYTES, parseKeyBundle, serializeKeyBundle, type KeyBundle } from './key-bundle';
import { unwrapWithPassword, wrapWithPassword } from './password-wrap';
import { newRecoveryCode } from './recovery-code';
import { unwrapWithRecoveryCode, wrapWithRecoveryCode } from './recovery-wrap';

const bounds: KdfBounds = { m: { min: 64, max: 4096 }, t: { min: 1, max: 4 }, p: { min: 1, max: 2 } };
const kdf = { alg: 'argon2id', m: 256, t: 1, p: 1 } as const;

describe('key bundle', () => {
  const userId = randomUUID();
  const pair = generateAccountKeyPair();

  async function newBundle(password: string, recoveryCode?: string): Promise<KeyBundle> {
    return {
      v: 1,
      public_key: pair.publicKey.toString('base64'),
      password: await wrapWithPassword(pair, userId, password, { kdf, bounds }),
      recovery: recoveryCode === undefined ? null : wrapWithRecoveryCode(pair, userId, recoveryCode),
    };
  }

  it('round-trips through JSON and unwraps with the password', async () => {
    const bundle = await newBundle('pässwörd 🔑');
    const json = serializeKeyBundle(bundle);
    expect(JSON.parse(json)).toEqual(bundle);
    const read = parseKeyBundle(json);
    expect(read).toEqual(bundle);
    const unwrapped = await unwrapWithPassword(read, userId, 'pässwörd 🔑', { bounds });
    expect(unwrapped.privateKey.equals(pair.privateKey)).toBe(true);
    expect(unwrapped.publicKey.equals(pair.publicKey)).toBe(true);
  });

  it('wraps with fresh salt and nonce each time', async () => {
    const [a, b] = [await newBundle('password'), await newBundle('password')];
    expect(a.password.salt).not.toBe(b.password.salt);
    expect(a.password.nonce).not.toBe(b.password.nonce);
    expect(a.password.wrapped).not.toBe(b.password.wrapped);
  });

  it('changes the password: the new one unwraps, the old one no longer does', async () => {
    const old = await newBundle('old password');
    const unwrapped = await unwrapWithPassword(old, userId, 'old password', { bounds });
    const changed: KeyBundle = { ...old, password: await wrapWithPassword(unwrapped, userId, 'new password', { kdf, bounds }) };
    expect((await unwrapWithPassword(changed, userId, 'new password', { bounds })).privateKey.equals(pair.privateKey)).toBe(true);
    await expect(unwrapWithPassword(changed, userId, 'old password', { bounds })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
  });

  it('recovers with the recovery code, then re-wraps under a new password', async () => {
    const code = newRecoveryCode();
    const bundle = await newBundle('forgotten', code);
    const recovered = unwrapWithRecoveryCode(bundle, userId, code.toLowerCase());
    expect(recovered.privateKey.equals(pair.privateKey)).toBe(true);
    const rewrapped: KeyBundle = { ...bundle, password: await wrapWithPassword(recovered, userId, 'remembered', { kdf, bounds }) };
    expect((await unwrapWithPassword(parseKeyBundle(serializeKeyBundle(rewrapped)), userId, 'remembered', { bounds })).privateKey.equals(pair.privateKey)).toBe(true);
  });

  it('uses DEFAULT_KDF_PARAMS by default and stays far below the size limit', async () => {
    const bundle: KeyBundle = {
      v: 1,
      public_key: pair.publicKey.toString('base64'),
      password: await wrapWithPassword(pair, userId, 'a vault password'),
      recovery: wrapWithRecoveryCode(pair, userId, newRecoveryCode()),
    };
    expect(bundle.password.kdf).toEqual(DEFAULT_KDF_PARAMS);
    expect(Buffer.byteLength(serializeKeyBundle(bundle))).toBeLessThan(MAX_BUNDLE_BYTES / 8);
    expect((await unwrapWithPassword(bundle, userId, 'a vault password')).privateKey.equals(pair.privateKey)).toBe(true);
  }, 30_000); // two Argon2id at 64 MiB, on a machine shared with other suites

  it('refuses ids that are not lowercase UUIDs and empty passwords as caller errors', async () => {
    await expect(wrapWithPassword(pair, userId.toUpperCase(), 'password', { kdf, bounds })).rejects.toThrow(RangeError);
    await expect(wrapWithPassword(pair, userId, '', { kdf, bounds })).rejects.toThrow(RangeError);
    expect(() => wrapWithRecoveryCode(pair, 'not-a-uuid', newRecoveryCode())).toThrow(RangeError);
  });
});
