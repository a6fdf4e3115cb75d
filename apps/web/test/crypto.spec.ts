/**
 * The browser's decrypt crypto (apps/web/src/crypto) against docs/FORMAT.md's vectors and every
 * decryption rule, run in Node (its WebCrypto is the same API as the browser's); the browser tests
 * (recipient.e2e-spec.ts) run the same code in Chromium against real CLI uploads.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobDecryptor, type DecryptOptions } from '../src/crypto/decrypt';
import { checkKeyBeforeDownload, TamperedError, WrongKeyError } from '../src/crypto/key-check';
import { deriveKeyFromPassphrase, parseKdfParams } from '../src/crypto/kdf';
import { decryptMetadata } from '../src/crypto/metadata-record';
import { fromBase64Url, toBase64Url } from '../src/crypto/bytes';
import { DecryptionError } from '../src/crypto/decryption-error';

interface Vector {
  key: string;
  nonce_prefix: string;
  plaintext: { size: number };
  plaintext_sha256: string;
  commitment: string;
  blob: string;
}

const VECTORS = ['empty', 'one-byte', 'exact-chunk', 'chunk-plus-one', 'multi-frame'];
const vector = (name: string): Vector => JSON.parse(readFileSync(join(__dirname, '../../../libs/crypto/test/vectors', `${name}.json`), 'utf8'));
const KEY = new Uint8Array(Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'));
const COMMITMENT = 'g+cC3/X/8g9Yidy/U+LKVD5zsHuv8PxHj9Xwg31K7bg=';
const FILE_ID = 'fedcba98-7654-4321-8fed-cba987654321';

function plaintextOf(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) % 251;
  return out;
}

async function decryptAll(blob: Uint8Array, options: DecryptOptions = {}, chunkSize = blob.length || 1, key = KEY) {
  const decryptor = await BlobDecryptor.create(key, options);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < blob.length; i += chunkSize) parts.push(...(await decryptor.push(blob.subarray(i, i + chunkSize))));
  const { plaintext, result } = await decryptor.finish();
  parts.push(...plaintext);
  return { plaintext: Buffer.concat(parts), result };
}

/** Frames of a blob as [offset, length] pairs. */
function frames(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < blob.length; ) {
    const length = 16 + blob.readUInt32BE(o + 12);
    out.push(blob.subarray(o, o + length));
    o += length;
  }
  return out;
}

const multi = () => Buffer.from(vector('multi-frame').blob, 'hex');

describe('browser decryption (FORMAT.md)', () => {
  it.each(VECTORS)('decrypts the %s vector, whatever the chunking, checking commitment and SHA-256', async (name) => {
    const v = vector(name);
    const blob = Buffer.from(v.blob, 'hex');
    for (const chunk of [1, 7, 17, 1000, 65_568, blob.length || 1]) {
      const { plaintext, result } = await decryptAll(blob, { commitment: v.commitment, sha256: v.plaintext_sha256 }, chunk);
      expect(plaintext.equals(plaintextOf(v.plaintext.size))).toBe(true);
      expect(result).toEqual({ sha256: v.plaintext_sha256, plaintextSize: v.plaintext.size, legacy: false });
    }
  });

  it('holds back the final plaintext until the end checks passed', async () => {
    const blob = Buffer.from(vector('one-byte').blob, 'hex');
    const decryptor = await BlobDecryptor.create(KEY, {});
    expect(await decryptor.push(blob)).toEqual([]);
    expect((await decryptor.finish()).plaintext).toHaveLength(1);
  });

  // Every row has its three cells: jest takes a missing one for the `done` callback.
  const tampered: [string, () => Buffer, DecryptOptions | undefined][] = [
    ['a changed ciphertext byte', () => flip(multi(), 16 + 100), undefined],
    ['a changed tag byte', () => flip(multi(), 65_568 - 1), undefined],
    ['a changed nonce byte', () => flip(multi(), 3), undefined],
    ['a changed length', () => Object.assign(multi(), {}).fill(0xff, 12, 16), undefined],
    ['frames swapped', () => { const f = frames(multi()); return Buffer.concat([f[1], f[0], f[2]]); }, undefined],
    ['a repeated frame', () => { const f = frames(multi()); return Buffer.concat([f[0], f[0], f[1], f[2]]); }, undefined],
    ['the final frame cut off (truncation)', () => { const f = frames(multi()); return Buffer.concat([f[0], f[1]]); }, undefined],
    ['a frame cut short', () => multi().subarray(0, multi().length - 1), undefined],
    ['a byte after the final frame', () => Buffer.concat([multi(), Buffer.of(0)]), undefined],
    ['a frame after the final frame', () => { const f = frames(multi()); return Buffer.concat([...f, f[2]]); }, undefined],
    ['an empty input', () => Buffer.alloc(0), undefined],
    ['a header alone', () => multi().subarray(0, 16), undefined],
    ['a wrong commitment', () => multi(), { commitment: Buffer.alloc(32, 1).toString('base64') }],
    ['a malformed commitment', () => multi(), { commitment: 'not base64!' }],
    ['a wrong SHA-256', () => multi(), { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }],
  ];

  it.each(tampered)('refuses %s with the one DecryptionError', async (_what, make, options) => {
    const blob = make();
    for (const chunk of [7, 1000, 70_000, blob.length || 1]) {
      await expect(decryptAll(blob, { commitment: COMMITMENT, ...options }, chunk)).rejects.toThrow(DecryptionError);
    }
  });

  it('refuses a wrong key', async () => {
    const wrong = new Uint8Array(32).fill(9);
    await expect(decryptAll(multi(), {}, 1000, wrong)).rejects.toThrow('decryption failed: wrong key or corrupted/tampered data');
  });

  it('refuses a non-final frame whose chunk is short, even with a valid tag', async () => {
    const blob = writeStrict([plaintextOf(10), plaintextOf(5)]);
    await expect(decryptAll(blob)).rejects.toThrow(DecryptionError);
    expect((await decryptAll(writeStrict([plaintextOf(65_536), plaintextOf(5)]))).plaintext.length).toBe(65_541);
  });

  it('reads a legacy (random-nonce) blob as legacy, and refuses it when a commitment is expected', async () => {
    const chunks = [plaintextOf(65_536), plaintextOf(3)];
    const blob = Buffer.concat(chunks.map((c) => frame(randomLegacyNonce(), c)));
    const { plaintext, result } = await decryptAll(blob, {}, 5000);
    expect(plaintext.equals(Buffer.concat(chunks))).toBe(true);
    expect(result.legacy).toBe(true);
    await expect(decryptAll(blob, { commitment: COMMITMENT })).rejects.toThrow(DecryptionError);
  });

  it('stays failed after a failure', async () => {
    const decryptor = await BlobDecryptor.create(KEY, { window: 1 });
    await expect(decryptor.push(flip(multi(), 20))).rejects.toThrow(DecryptionError);
    await expect(decryptor.finish()).rejects.toThrow(DecryptionError);
  });

  describe('with decryptions in flight across pushes (issue 17: one decrypt at a time was 0.23x the CLI)', () => {
    const chunks = Array.from({ length: 40 }, (_, i) => plaintextOf(i === 39 ? 1234 : 65_536).fill(i, 0, 1));
    const blob = writeStrict(chunks);
    const whole = Buffer.concat(chunks);

    it.each([1, 3, 8, 64])('releases every frame in order, byte-exact, with a window of %i frames', async (window) => {
      for (const chunk of [1000, 65_568, 100_000, blob.length]) {
        const { plaintext, result } = await decryptAll(blob, { window }, chunk);
        expect(plaintext.equals(whole)).toBe(true);
        expect(result.plaintextSize).toBe(whole.length);
      }
    });

    it('waits for the oldest frames only beyond the window, always holding the last verified one back', async () => {
      const decryptor = await BlobDecryptor.create(KEY, { window: 8 });
      const first = await decryptor.push(blob.subarray(0, 20 * 65_568));
      expect(first.map((p) => p[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 12 verified, the 12th held, 8 in flight
      const rest = await decryptor.push(blob.subarray(20 * 65_568));
      const { plaintext } = await decryptor.finish();
      expect(Buffer.concat([...first, ...rest, ...plaintext]).equals(whole)).toBe(true);
    });

    it('refuses a changed frame far behind the first, whatever the window', async () => {
      for (const window of [1, 8, 64]) {
        await expect(decryptAll(flip(blob, 30 * 65_568 + 100), { window }, 70_000)).rejects.toThrow(DecryptionError);
      }
    });
  });
});

describe('key checks before the download', () => {
  const meta = { key_commitment: COMMITMENT, nonce_prefix: 'a0a1a2a3a4a5a6', encrypted_metadata: null };
  const RECORD =
    'AeDh4uPk5ebn6Onq68gt2qENmY0/XWjSBceEaZz5rWPkcrHFediFvkwwQDwpLgiALYWyLRhhLrfin2gFMYPhimC0hPqtS1jg8NZTwJnoe2cDJJR92ieamHtrKUGKpCBdhOYQ2QxnVwlypZfYhoc/MRH/5YLz2sL7f8Evfzkrw+HjTEEwZNzGOBDTUhkaIQ8L4mj7oaVpDzU/eXdnLfrcL0GOOhkiFzJQChtHdws6wDhy3Nrkeyo/dUDIa3SsV72eeuINgHass5ewGF3u7Gf+sp00c4I5fHHRJhUHdK4=';

  it('accepts the right key by its commitment and opens the metadata record vector', async () => {
    expect(await checkKeyBeforeDownload(meta, FILE_ID, KEY)).toEqual({ committed: true });
    expect(await checkKeyBeforeDownload({ ...meta, encrypted_metadata: RECORD }, FILE_ID, KEY)).toEqual({
      committed: true,
      metadata: { name: 'report.pdf', media_type: 'application/pdf', sha256: 'ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879', size: 1 },
    });
  });

  it('tells a wrong key from a changed record', async () => {
    const wrong = new Uint8Array(32).fill(1);
    await expect(checkKeyBeforeDownload(meta, FILE_ID, wrong)).rejects.toThrow(WrongKeyError);
    await expect(checkKeyBeforeDownload({ key_commitment: null, nonce_prefix: null, encrypted_metadata: RECORD }, FILE_ID, wrong)).rejects.toThrow(WrongKeyError);
    const changed = RECORD.slice(0, 40) + (RECORD[40] === 'A' ? 'B' : 'A') + RECORD.slice(41);
    await expect(checkKeyBeforeDownload({ ...meta, encrypted_metadata: changed }, FILE_ID, KEY)).rejects.toThrow(TamperedError);
    // Another file's id: the record is bound to its own file.
    await expect(decryptMetadata(RECORD, KEY, '01234567-89ab-4cde-8f01-23456789abcd')).rejects.toThrow(DecryptionError);
  });

  it('cannot check a key without commitment or record, and says so', async () => {
    expect(await checkKeyBeforeDownload({ key_commitment: null, nonce_prefix: null }, FILE_ID, KEY)).toEqual({ committed: undefined });
  });
});

describe('passphrase keys', () => {
  it('derives the FORMAT.md Argon2id vector (m 19456, t 1, p 1)', async () => {
    const key = await deriveKeyFromPassphrase('correct horse battery staple', new Uint8Array(Buffer.from('coffer-test-salt')), parseKdfParams({ alg: 'argon2id', m: 19_456, t: 1, p: 1 }));
    expect(Buffer.from(key).toString('hex')).toBe('ed5a711a0d174ae8e09f401797a9158bb92c8ac89f23d2c568eaeaf283a1ca41');
  });

  it.each([
    [{ alg: 'argon2id', m: 1024, t: 1, p: 1 }],
    [{ alg: 'argon2id', m: 2_000_000, t: 1, p: 1 }],
    [{ alg: 'argon2id', m: 65_536, t: 11, p: 1 }],
    [{ alg: 'argon2id', m: 65_536, t: 3, p: 9 }],
    [{ alg: 'argon2i', m: 65_536, t: 3, p: 1 }],
    [{ alg: 'argon2id', m: 65_536, t: 3, p: 1, extra: 1 }],
    [{ alg: 'argon2id', m: 65_536.5, t: 3, p: 1 }],
    [null],
  ])('refuses KDF parameters outside the bounds before hashing: %j', (params) => {
    expect(() => parseKdfParams(params)).toThrow();
  });
});

describe('fragment keys', () => {
  it('reads base64url and standard base64, only 32 bytes', () => {
    expect(fromBase64Url(toBase64Url(KEY), 32)).toEqual(KEY);
    expect(fromBase64Url(Buffer.from(KEY).toString('base64'), 32)).toEqual(KEY);
    expect(fromBase64Url('abc', 32)).toBeUndefined();
    expect(fromBase64Url('!!!!', 32)).toBeUndefined();
  });
});

function flip(blob: Buffer, at: number): Buffer {
  const copy = Buffer.from(blob);
  copy[at] ^= 0x01;
  return copy;
}

function frame(nonce: Buffer, chunk: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
  const body = Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([nonce, length, body]);
}

/** Structured nonces, written by hand (so rules the real writer never breaks can be broken). */
function writeStrict(chunks: Buffer[]): Buffer {
  const prefix = Buffer.from('a0a1a2a3a4a5a6', 'hex');
  return Buffer.concat(
    chunks.map((chunk, i) => {
      const nonce = Buffer.alloc(12);
      prefix.copy(nonce);
      nonce.writeUInt32BE(i, 7);
      nonce[11] = i === chunks.length - 1 ? 1 : 0;
      return frame(nonce, chunk);
    }),
  );
}

/** A stock Hashdrop nonce: random, and (made sure here) not a strict first nonce. */
function randomLegacyNonce(): Buffer {
  const nonce = randomBytes(12);
  nonce[11] = 0x80;
  return nonce;
}
