import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobSize, decrypt, DEFAULT_KDF_BOUNDS, DEFAULT_KDF_PARAMS, deriveKeyFromPassphrase, keyCommitment } from '@coffer/crypto';
import { decryptMetadata, parseKeyBundle, publicKeyFingerprint, publicKeyOf, serializeKeyBundle, unsealFileKey, unwrapWithPassword, unwrapWithRecoveryCode } from '@coffer/crypto';
import { argon2idKey } from '../src/format/kdf';
import { accountKeyPairOf, x25519 } from '../src/keys/key-pair';
import { encryptMetadataUsing } from '../src/keys/metadata-record';
import { passwordAad, wrapWithPasswordUsing } from '../src/keys/password-wrap';
import { formatRecoveryCode } from '../src/keys/recovery-code';
import { wrapWithRecoveryCodeUsing } from '../src/keys/recovery-wrap';
import { sealFileKeyUsing } from '../src/keys/sealed-key';
import { chunked, collect, encryptToBuffer, patterned } from './helpers';

/** docs/FORMAT.md's vectors, read from the document itself: the doc cannot drift from the code. */
const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'FORMAT.md'), 'utf8');
const section = (title: string): string => {
  const start = doc.indexOf(`## ${title}\n`);
  if (start < 0) throw new Error(`docs/FORMAT.md has no section "${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
};
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const hex = (value: string) => value.replace(/`/g, '');

const vectors = section('Test vectors');
const listed = (label: string): string => {
  const match = new RegExp(`^- ${label}[^:]*: \`([^\`]+)\``, 'm').exec(vectors);
  if (!match) throw new Error(`docs/FORMAT.md lists no ${label}`);
  return match[1];
};
/** Rows of the markdown tables in `text` whose first cell matches `first`. */
const rows = (text: string, first: RegExp): string[][] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .filter((cells) => first.test(cells[0]));

const key = Buffer.from(listed('key'), 'hex');
const noncePrefix = Buffer.from(listed('nonce prefix'), 'hex');
const commitment = listed('commitment');
const blobRows = rows(vectors, /^[a-z]+(-[a-z]+)*$/)
  .filter((cells) => /^\d+$/.test(cells[1]))
  .map(([name, size, plaintextSha, blobBytes, blobSha, fileSha]) => ({
  name: name,
  size: Number(size),
  plaintextSha: hex(plaintextSha),
  blobBytes: Number(blobBytes),
  blobSha: hex(blobSha),
  fileSha: hex(fileSha),
}));

describe('docs/FORMAT.md test vectors', () => {
  it('lists every committed vector file', () => {
    expect(blobRows.map((row) => row.name).sort()).toEqual(['chunk-plus-one', 'empty', 'exact-chunk', 'multi-frame', 'one-byte']);
    expect(keyCommitment(key, noncePrefix)).toBe(commitment);
  });

  describe.each(blobRows)('$name', (row) => {
    const plaintext = patterned(row.size);

    it('is what the library writes, and reads back', async () => {
      const encrypted = await encryptToBuffer(plaintext, key, { noncePrefix });
      expect(encrypted.bytes.length).toBe(row.blobBytes);
      expect(blobSize(row.size)).toBe(row.blobBytes);
      expect(sha256(encrypted.bytes)).toBe(row.blobSha);
      expect(encrypted.result).toEqual({ sha256: row.plaintextSha, plaintextSize: row.size });
      expect(encrypted.commitment).toBe(commitment);
      const opened = decrypt(chunked(encrypted.bytes, 1000), key, { commitment, sha256: row.plaintextSha });
      expect((await collect(opened)).equals(plaintext)).toBe(true);
    });

    it('names the committed vector file by its SHA-256, which holds the same blob', () => {
      const file = readFileSync(join(__dirname, 'vectors', `${row.name}.json`));
      expect(sha256(file)).toBe(row.fileSha);
      expect(sha256(Buffer.from((JSON.parse(file.toString('utf8')) as { blob: string }).blob, 'hex'))).toBe(row.blobSha);
    });
  });

  it('prints the smallest blobs in full', async () => {
    const printed = [...vectors.matchAll(/^([a-z-]+): +([0-9a-f]+)$/gm)].map(([, name, blob]) => ({ name: name, blob: blob }));
    expect(printed.map(({ name }) => name)).toEqual(['empty', 'one-byte']);
    for (const { name, blob } of printed) {
      const row = blobRows.find((candidate) => candidate.name === name)!;
      expect((await encryptToBuffer(patterned(row.size), key, { noncePrefix })).bytes.toString('hex')).toBe(blob);
    }
  });

  it('gives Argon2id keys the library derives', async () => {
    const kdfRows = rows(vectors, /^\d+$/);
    expect(kdfRows).toHaveLength(2);
    const passphrase = /passphrase `([^`]+)`/.exec(vectors)![1];
    const salt = Buffer.from(/salt `([^`]+)`/.exec(vectors)![1], 'utf8');
    for (const [m, t, p, expected] of kdfRows) {
      const params = { alg: 'argon2id', m: Number(m), t: Number(t), p: Number(p) } as const;
      expect((await deriveKeyFromPassphrase(passphrase, salt, params)).toString('hex')).toBe(hex(expected));
    }
  }, 30_000);

  it("states the library's KDF defaults and bounds", () => {
    const table = rows(section('Key derivation (KDF)'), /^`[mtp]`/);
    const number = (text: string) => Number(text.replace(/,/g, ''));
    const stated = Object.fromEntries(
      table.map(([name, defaults, bounds]) => {
        const [min, max] = /^([\d,]+) \.\. ([\d,]+)/.exec(bounds)!.slice(1).map(number);
        return [/^`([mtp])`/.exec(name)![1], { default: number(/^[\d,]+/.exec(defaults)![0]), min, max }];
      }),
    );
    for (const name of ['m', 't', 'p'] as const) {
      expect(stated[name]).toEqual({ default: DEFAULT_KDF_PARAMS[name], min: DEFAULT_KDF_BOUNDS[name].min, max: DEFAULT_KDF_BOUNDS[name].max });
    }
  });
});

describe('docs/FORMAT.md account key test vectors', () => {
  const text = section('Account key test vectors');
  /** The backticked value of the list item `- <label>: `value`` or `- <label> (note): `value``. */
  const item = (label: string): string => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`- ${label}: \``) || candidate.startsWith(`- ${label} (`));
    if (!line) throw new Error(`docs/FORMAT.md lists no ${label}`);
    return /: `([^`]+)`$/.exec(line)![1];
  };
  const bytes = (label: string) => Buffer.from(item(label), 'hex');
  const userId = item('user id');
  const fileId = item('file id');
  const pair = accountKeyPairOf(bytes('account private key'));
  const password = /vault password `([^`]+)`/.exec(text)![1];
  const salt = Buffer.from(/the salt `([^`]+)`/.exec(text)![1], 'ascii');
  const kdf = JSON.parse(item('kdf'));
  const bundleJson = /```json\n(.+)\n```/.exec(text)![1];
  const bundle = parseKeyBundle(bundleJson);
  const dek = bytes('DEK');
  /** AES-256-GCM open with node:crypto alone, from the document's own description. */
  const gcmOpen = (key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer) => {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(-16));
    return Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]);
  };
  const hkdf = (ikm: Buffer, hkdfSalt: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, hkdfSalt, info, 32));

  it('gives the RFC 7748 public key and its fingerprint', () => {
    expect(publicKeyOf(pair.privateKey).toString('hex')).toBe(item('account public key'));
    expect(publicKeyFingerprint(pair.publicKey)).toBe(item('fingerprint'));
    expect(bundle.public_key).toBe(pair.publicKey.toString('base64'));
  });

  it('gives the password wrap the library writes, and reads back', async () => {
    expect((await argon2idKey(password, salt, kdf)).toString('hex')).toBe(item('KEK'));
    expect(passwordAad(Buffer.from(userId, 'ascii'), pair.publicKey, kdf).toString('hex')).toBe(item('password AAD'));
    const wrap = await wrapWithPasswordUsing(pair, userId, password, { kdf, salt, nonce: bytes('password nonce') });
    expect(wrap).toEqual(bundle.password);
    const opened = gcmOpen(bytes('KEK'), Buffer.from(wrap.nonce, 'base64'), Buffer.from(wrap.wrapped, 'base64'), bytes('password AAD'));
    expect(opened.equals(pair.privateKey)).toBe(true);
    expect((await unwrapWithPassword(bundle, userId, password)).privateKey.equals(pair.privateKey)).toBe(true);
  }, 30_000);

  it('gives the recovery wrap the library writes, and reads back', () => {
    const code = item('recovery code');
    expect(formatRecoveryCode(bytes('recovery code bytes'))).toBe(code);
    expect(hkdf(bytes('recovery code bytes'), Buffer.from(userId, 'ascii'), 'coffer/v1/recovery').toString('hex')).toBe(item('RKEK'));
    const wrap = wrapWithRecoveryCodeUsing(pair, userId, code, bytes('recovery nonce'));
    expect(wrap).toEqual(bundle.recovery);
    const aad = Buffer.concat([Buffer.from(`coffer/v1/recovery-key${userId}`, 'ascii'), pair.publicKey]);
    expect(gcmOpen(bytes('RKEK'), bytes('recovery nonce'), Buffer.from(wrap.wrapped, 'base64'), aad).equals(pair.privateKey)).toBe(true);
    expect(unwrapWithRecoveryCode(bundle, userId, code).privateKey.equals(pair.privateKey)).toBe(true);
  });

  it('prints the bundle exactly as the library serializes it', () => {
    expect(serializeKeyBundle(bundle)).toBe(bundleJson);
  });

  it('gives the sealed key the library writes, and unseals it', () => {
    const ephemeral = accountKeyPairOf(bytes('ephemeral private key'));
    expect(ephemeral.publicKey.toString('hex')).toBe(item('ephemeral public key'));
    const shared = x25519(ephemeral.privateKey, pair.publicKey)!;
    expect(shared.toString('hex')).toBe(item('shared secret'));
    expect(hkdf(shared, Buffer.concat([ephemeral.publicKey, pair.publicKey]), 'coffer/v1/seal').toString('hex')).toBe(item('seal key K'));
    const sealed = sealFileKeyUsing(dek, fileId, pair.publicKey, ephemeral.privateKey);
    expect(sealed).toBe(item('sealed key'));
    const raw = Buffer.from(sealed, 'base64');
    expect(raw.length).toBe(81);
    expect(raw[0]).toBe(1);
    expect(raw.subarray(1, 33).equals(ephemeral.publicKey)).toBe(true);
    const aad = Buffer.from(`coffer/v1/file-key${fileId}`, 'ascii');
    expect(gcmOpen(bytes('seal key K'), Buffer.alloc(12), raw.subarray(33), aad).equals(dek)).toBe(true);
    expect(unsealFileKey(sealed, fileId, pair).equals(dek)).toBe(true);
  });

  it('gives the metadata record the library writes, and decrypts it', () => {
    const metadataJson = item('metadata');
    expect(hkdf(dek, Buffer.alloc(0), 'coffer/v1/metadata').toString('hex')).toBe(item('MK'));
    const record = encryptMetadataUsing(JSON.parse(metadataJson), dek, fileId, bytes('metadata nonce'));
    expect(record).toBe(item('record'));
    const raw = Buffer.from(record, 'base64');
    expect(raw[0]).toBe(1);
    expect(raw.subarray(1, 13).equals(bytes('metadata nonce'))).toBe(true);
    const padded = gcmOpen(bytes('MK'), bytes('metadata nonce'), raw.subarray(13), Buffer.from(`coffer/v1/metadata${fileId}`, 'ascii'));
    expect(padded.length % 64).toBe(0);
    expect(padded.toString('utf8')).toBe(metadataJson.padEnd(padded.length, ' '));
    expect(decryptMetadata(record, dek, fileId)).toEqual(JSON.parse(metadataJson));
  });
});
