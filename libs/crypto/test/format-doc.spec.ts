import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobSize, decrypt, DEFAULT_KDF_BOUNDS, DEFAULT_KDF_PARAMS, deriveKeyFromPassphrase, keyCommitment } from '@coffer/crypto';
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
