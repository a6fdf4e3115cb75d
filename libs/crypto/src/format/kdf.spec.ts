import { argon2idKey, DEFAULT_KDF_BOUNDS, DEFAULT_KDF_PARAMS, deriveKeyFromPassphrase, newSalt, parseKdfParams } from './kdf';

// Expected keys computed with the Argon2 reference implementation's CLI:
//   echo -n 'correct horse battery staple' | argon2 coffer-test-salt -id -t 1 -k 19456 -p 1 -l 32 -r
const passphrase = 'correct horse battery staple';
const salt = Buffer.from('coffer-test-salt', 'utf8');
const fastParams = { alg: 'argon2id', m: 19_456, t: 1, p: 1 } as const;

describe('deriveKeyFromPassphrase', () => {
  it('is raw 32-byte Argon2id of the UTF-8 passphrase and salt', async () => {
    const key = await deriveKeyFromPassphrase(passphrase, salt, fastParams);
    expect(key.toString('hex')).toBe('ed5a711a0d174ae8e09f401797a9158bb92c8ac89f23d2c568eaeaf283a1ca41');
  });

  it('uses t=3, m=64 MiB, p=1 by default', async () => {
    const key = await deriveKeyFromPassphrase(passphrase, salt);
    expect(key.toString('hex')).toBe('86b91176cda5b994457c10a18ebf458ff2a3210d5cea1e21f120e8420a182701');
  });

  it('rejects passphrases under 12 characters, counting characters rather than UTF-16 units', async () => {
    await expect(deriveKeyFromPassphrase('eleven char', salt, fastParams)).rejects.toThrow('the passphrase must be at least 12 characters long');
    await expect(deriveKeyFromPassphrase('🔑'.repeat(11), salt, fastParams)).rejects.toThrow(RangeError);
    await expect(deriveKeyFromPassphrase('🔑'.repeat(12), salt, fastParams)).resolves.toHaveLength(32);
  });

  it('derives the key of a file made elsewhere with a shorter passphrase when decrypting', async () => {
    const key = await deriveKeyFromPassphrase('short', salt, fastParams, { forDecryption: true });
    expect(key).toEqual(await argon2idKey('short', salt, fastParams));
  });

  it('refuses out-of-bounds parameters before hashing', async () => {
    const started = Date.now();
    await expect(deriveKeyFromPassphrase(passphrase, salt, { alg: 'argon2id', m: 2 ** 30, t: 10, p: 1 })).rejects.toThrow(
      'KDF parameter m=1073741824 is outside 19456..1048576 KiB',
    );
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('parseKdfParams', () => {
  it('accepts the defaults and the bounds themselves', () => {
    expect(parseKdfParams({ alg: 'argon2id', m: 65_536, t: 3, p: 1 })).toEqual(DEFAULT_KDF_PARAMS);
    expect(parseKdfParams({ alg: 'argon2id', m: 19_456, t: 1, p: 1 })).toEqual({ alg: 'argon2id', m: 19_456, t: 1, p: 1 });
    expect(parseKdfParams({ alg: 'argon2id', m: 1_048_576, t: 10, p: 8 })).toEqual({ alg: 'argon2id', m: 1_048_576, t: 10, p: 8 });
  });

  it.each([
    [{ alg: 'argon2id', m: 19_455, t: 3, p: 1 }, 'KDF parameter m=19455 is outside 19456..1048576 KiB'],
    [{ alg: 'argon2id', m: 1_048_577, t: 3, p: 1 }, 'KDF parameter m=1048577 is outside 19456..1048576 KiB'],
    [{ alg: 'argon2id', m: 65_536, t: 0, p: 1 }, 'KDF parameter t=0 is outside 1..10'],
    [{ alg: 'argon2id', m: 65_536, t: 11, p: 1 }, 'KDF parameter t=11 is outside 1..10'],
    [{ alg: 'argon2id', m: 65_536, t: 3, p: 0 }, 'KDF parameter p=0 is outside 1..8'],
    [{ alg: 'argon2id', m: 65_536, t: 3, p: 9 }, 'KDF parameter p=9 is outside 1..8'],
    [{ alg: 'argon2id', m: 65_536.5, t: 3, p: 1 }, 'KDF parameter m=65536.5 is outside 19456..1048576 KiB'],
    [{ alg: 'argon2id', m: '65536', t: 3, p: 1 }, 'KDF parameter m="65536" is outside 19456..1048576 KiB'],
    [{ alg: 'argon2id', t: 3, p: 1 }, 'KDF parameter m=undefined is outside 19456..1048576 KiB'],
    [{ alg: 'argon2i', m: 65_536, t: 3, p: 1 }, 'unsupported KDF algorithm "argon2i"; only argon2id is accepted'],
    [{ alg: 'argon2id', m: 65_536, t: 3, p: 1, v: 19 }, 'unknown KDF parameter(s): v'],
    [null, 'KDF parameters must be an object'],
    [[1, 2], 'KDF parameters must be an object'],
  ])('rejects %j', (value, message) => {
    expect(() => parseKdfParams(value)).toThrow(message);
  });
});

describe('explicit KDF bounds (cheap parameters for tests)', () => {
  const testBounds = { ...DEFAULT_KDF_BOUNDS, m: { min: 8, max: 1_048_576 } };
  const cheap = { alg: 'argon2id', m: 64, t: 1, p: 1 } as const;

  it('parses parameters within the bounds given, and still refuses them by default', () => {
    expect(parseKdfParams(cheap, testBounds)).toEqual(cheap);
    expect(() => parseKdfParams(cheap)).toThrow('KDF parameter m=64 is outside 19456..1048576 KiB');
    expect(() => parseKdfParams({ ...cheap, m: 4 }, testBounds)).toThrow('KDF parameter m=4 is outside 8..1048576 KiB');
  });

  it('derives a key with them only when the bounds admit them', async () => {
    const key = await deriveKeyFromPassphrase(passphrase, salt, cheap, { bounds: testBounds });
    expect(key).toEqual(await argon2idKey(passphrase, salt, cheap, testBounds));
    expect(key).toHaveLength(32);
    await expect(deriveKeyFromPassphrase(passphrase, salt, cheap)).rejects.toThrow('outside 19456..1048576 KiB');
  });
});

describe('newSalt', () => {
  it('is 16 fresh random bytes', () => {
    const [first, second] = [newSalt(), newSalt()];
    expect(first).toHaveLength(16);
    expect(first.equals(second)).toBe(false);
  });
});
