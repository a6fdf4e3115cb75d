/**
 * The browser's encrypt and account-key crypto (apps/web/src/crypto/encrypt*.ts, account-keys.ts)
 * against docs/FORMAT.md's vectors (which libs/crypto, the CLI's code, is held to by
 * format-doc.spec.ts), run in Node, whose WebCrypto is the browser's API. apps/web may not import
 * libs/crypto; the owner browser tests run this code in Chromium against the real CLI.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptBlob, keyCommitment } from '../src/crypto/encrypt';
import { encryptMetadata } from '../src/crypto/encrypt-metadata';
import { decryptMetadata } from '../src/crypto/metadata-record';
import { AccountKeyError, createKeyBundle, fingerprint, parseKeyBundle, publicKeyOf, sealFileKey, serializeKeyBundle, unsealFileKey, unwrapWithPassword } from '../src/crypto/account-keys';

const hex = (value: string) => new Uint8Array(Buffer.from(value, 'hex'));
const KEY = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const PREFIX = hex('a0a1a2a3a4a5a6');
const USER = '01234567-89ab-4cde-8f01-23456789abcd';
const FILE = 'fedcba98-7654-4321-8fed-cba987654321';
const PRIVATE = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const BUNDLE =
  '{"v":1,"public_key":"3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=","password":{"kdf":{"alg":"argon2id","m":19456,"t":1,"p":1},"salt":"Y29mZmVyLXRlc3Qtc2FsdA==","nonce":"sLGys7S1tre4ubq7","wrapped":"3oh6vfMBZotzoLBNow6x/SHJZXqV9Yr1+KV7GIsCExvs45KoZelphj4VkwH9Va+/"},"recovery":{"nonce":"wMHCw8TFxsfIycrL","wrapped":"KJo4KzYPqQ0veyocfxcJ76TVG0p30qNIeNrSvM0x9k0oqlZxf32NwbCesCNkKsZh"}}';
const SEALED = 'AYUg8AmJMKdUdIt93LQ+91oNvzoNJjga9OukqY6qm05qveSdSqpjVy0PlhZhXoQ9xLAfvbbDJHDYth0KhFjaYJAeSlKJ0xnI/kxQHocW+LwS';
const RECORD =
  'AeDh4uPk5ebn6Onq68gt2qENmY0/XWjSBceEaZz5rWPkcrHFediFvkwwQDwpLgiALYWyLRhhLrfin2gFMYPhimC0hPqtS1jg8NZTwJnoe2cDJJR92ieamHtrKUGKpCBdhOYQ2QxnVwlypZfYhoc/MRH/5YLz2sL7f8Evfzkrw+HjTEEwZNzGOBDTUhkaIQ8L4mj7oaVpDzU/eXdnLfrcL0GOOhkiFzJQChtHdws6wDhy3Nrkeyo/dUDIa3SsV72eeuINgHass5ewGF3u7Gf+sp00c4I5fHHRJhUHdK4=';
const PASSWORD = 'correct horse battery staple';

const plaintext = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);
const vector = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../../libs/crypto/test/vectors', `${name}.json`), 'utf8')) as { blob: string };

describe('browser encryption (docs/FORMAT.md vectors)', () => {
  it.each([
    ['empty', 0],
    ['one-byte', 1],
    ['exact-chunk', 65536],
    ['chunk-plus-one', 65537],
    ['multi-frame', 131172],
  ])('%s: the blob is the vector byte for byte, with its SHA-256 and commitment', async (name, size) => {
    const source = plaintext(size);
    const seen: number[] = [];
    const out = await encryptBlob(new Blob([source]), KEY, { noncePrefix: PREFIX, onProgress: (n) => seen.push(n) });
    const blob = Buffer.from(await out.blob.arrayBuffer());
    expect(blob.toString('hex')).toBe(vector(name).blob);
    expect(out.sha256).toBe(createHash('sha256').update(source).digest('hex'));
    expect(out.commitment).toBe('g+cC3/X/8g9Yidy/U+LKVD5zsHuv8PxHj9Xwg31K7bg=');
    expect(out.plaintextSize).toBe(size);
    expect(seen.at(-1)).toBe(size);
  });

  it('draws a fresh random prefix per blob', async () => {
    const a = await encryptBlob(new Blob([plaintext(10)]), KEY);
    const b = await encryptBlob(new Blob([plaintext(10)]), KEY);
    expect(Buffer.from(a.noncePrefix).equals(Buffer.from(b.noncePrefix))).toBe(false);
    expect(await keyCommitment(KEY, a.noncePrefix)).toBe(a.commitment);
  });
});

describe('browser account keys (docs/FORMAT.md account key vectors)', () => {
  it('derives the public key and fingerprint of RFC 7748 Bob', async () => {
    expect(Buffer.from(await publicKeyOf(PRIVATE)).toString('hex')).toBe(Buffer.from(PUBLIC).toString('hex'));
    expect(await fingerprint(PUBLIC)).toBe('f35e5616160a30bf3c6e79fa73c576d40205e8fc3ba4e1c6dcf93e6b98e857b4');
  });

  it('unwraps the vector bundle with the vault password; a wrong password, another user or a lowered m fail', async () => {
    const bundle = parseKeyBundle(BUNDLE);
    const pair = await unwrapWithPassword(bundle, USER, PASSWORD);
    expect(Buffer.from(pair.privateKey).toString('hex')).toBe(Buffer.from(PRIVATE).toString('hex'));
    await expect(unwrapWithPassword(bundle, USER, 'wrong password')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await expect(unwrapWithPassword(bundle, 'ffffffff-89ab-4cde-8f01-23456789abcd', PASSWORD)).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    const lowered = { ...bundle, password: { ...bundle.password, kdf: { ...bundle.password.kdf, m: 1024 } } };
    await expect(unwrapWithPassword(lowered, USER, PASSWORD)).rejects.toMatchObject({ code: 'KDF_OUT_OF_BOUNDS' });
  });

  it('refuses malformed bundles', () => {
    expect(() => parseKeyBundle(BUNDLE.replace('"v":1', '"v":2'))).toThrow(AccountKeyError);
    expect(() => parseKeyBundle(BUNDLE.replace('"recovery"', '"extra":1,"recovery"'))).toThrow(AccountKeyError);
    expect(() => parseKeyBundle(BUNDLE.replace('Y29mZmVyLXRlc3Qtc2FsdA==', 'Y29mZmVyLXRlc3Qtc2FsdA'))).toThrow(AccountKeyError);
  });

  it('creates the vector bundle from the vector inputs (without recovery), which opens again', async () => {
    const { bundle } = await createKeyBundle(USER, PASSWORD, {
      kdf: { alg: 'argon2id', m: 19456, t: 1, p: 1 },
      pair: { publicKey: PUBLIC, privateKey: PRIVATE },
      salt: new TextEncoder().encode('coffer-test-salt'),
      nonce: hex('b0b1b2b3b4b5b6b7b8b9babb'),
    });
    const text = serializeKeyBundle(bundle);
    expect(text).toBe(BUNDLE.replace(/,"recovery":\{.*\}\}$/, ',"recovery":null}'));
    const opened = await unwrapWithPassword(parseKeyBundle(text), USER, PASSWORD);
    expect(Buffer.from(opened.privateKey).toString('hex')).toBe(Buffer.from(PRIVATE).toString('hex'));
  });

  it('seals the vector sealed key with the vector ephemeral key and opens it; a fresh seal opens', async () => {
    expect(await sealFileKey(KEY, FILE, PUBLIC, hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))).toBe(SEALED);
    const pair = { publicKey: PUBLIC, privateKey: PRIVATE };
    expect(Buffer.from(await unsealFileKey(SEALED, FILE, pair)).toString('hex')).toBe(Buffer.from(KEY).toString('hex'));
    const fresh = await sealFileKey(KEY, FILE, PUBLIC);
    expect(fresh).not.toBe(SEALED);
    expect(Buffer.from(await unsealFileKey(fresh, FILE, pair)).equals(Buffer.from(KEY))).toBe(true);
    await expect(unsealFileKey(SEALED, '00000000-7654-4321-8fed-cba987654321', pair)).rejects.toMatchObject({ code: 'SEALED_KEY_INVALID' });
    await expect(sealFileKey(KEY, FILE, new Uint8Array(32))).rejects.toMatchObject({ code: 'SEALED_KEY_INVALID' });
  });

  it('writes the vector metadata record; the browser reader opens a random-nonce record', async () => {
    const metadata = { name: 'report.pdf', media_type: 'application/pdf', sha256: 'ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879', size: 1 };
    expect(await encryptMetadata(metadata, KEY, FILE, hex('e0e1e2e3e4e5e6e7e8e9eaeb'))).toBe(RECORD);
    const record = await encryptMetadata({ ...metadata, name: 'ünïcode name.txt' }, KEY, FILE);
    expect(await decryptMetadata(record, KEY, FILE)).toEqual({ ...metadata, name: 'ünïcode name.txt' });
  });
});
