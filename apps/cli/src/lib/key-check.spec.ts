import { randomBytes } from 'node:crypto';
import * as crypto from '@coffer/crypto';
import { encryptMetadata, keyCommitment } from '@coffer/crypto';
import { checkedAgainstCommitment, checkKeyBeforeDownload, CommitmentMismatch, matchesCommitment, mismatchFailure } from './key-check';

jest.mock('@coffer/crypto', () => {
  const actual = jest.requireActual<typeof import('@coffer/crypto')>('@coffer/crypto');
  return { ...actual, verifyKeyCommitment: jest.fn(actual.verifyKeyCommitment) };
});
const verifyKeyCommitment = jest.mocked(crypto.verifyKeyCommitment);

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('checkedAgainstCommitment', () => {
  const dek = randomBytes(32);
  const blob = randomBytes(100);
  const commitment = keyCommitment(dek, blob.subarray(0, 7));

  it('passes the blob through unchanged when the key matches, the prefix arriving in pieces', async () => {
    const seen: Buffer[] = [];
    const out = await collect(checkedAgainstCommitment(pieces(blob, 3), dek, commitment, async (prefix) => void seen.push(prefix)));
    expect(out.equals(blob)).toBe(true);
    expect(seen).toEqual([blob.subarray(0, 7)]);
  });

  it('throws CommitmentMismatch for another key, after handing over the prefix', async () => {
    const seen: Buffer[] = [];
    await expect(collect(checkedAgainstCommitment(pieces(blob, 50), randomBytes(32), commitment, async (prefix) => void seen.push(prefix)))).rejects.toThrow(CommitmentMismatch);
    expect(seen).toHaveLength(1);
  });

  it('names the mismatch by where the key came from', () => {
    expect(mismatchFailure('key', false).message).toBe('decryption failed: wrong key');
    expect(mismatchFailure('passphrase', true).message).toBe('decryption failed: wrong passphrase');
    expect(mismatchFailure('vault', true).message).toMatch(/tampered with/);
  });
});

describe('checkKeyBeforeDownload', () => {
  const fileId = '8c1f0d2e-0000-4000-8000-000000000001';
  const dek = randomBytes(32);
  const prefix = randomBytes(7);
  const commitment = keyCommitment(dek, prefix);
  const metadata = { name: 'report.pdf', media_type: 'application/pdf', sha256: 'ab'.repeat(32), size: 12 };
  const record = encryptMetadata(metadata, dek, fileId);
  const meta = { nonce_prefix: prefix.toString('hex'), encrypted_metadata: record };

  it('accepts the right key and answers the decrypted metadata', () => {
    expect(checkKeyBeforeDownload(meta, fileId, { dek, commitment, source: 'key' }, undefined)).toEqual({ metadata });
  });

  it('refuses a wrong key or passphrase by the commitment and the meta\'s nonce prefix, before any download', () => {
    expect(() => checkKeyBeforeDownload(meta, fileId, { dek: randomBytes(32), commitment, source: 'key' }, undefined)).toThrow(/^decryption failed: wrong key$/);
    expect(() => checkKeyBeforeDownload({ ...meta, encrypted_metadata: null }, fileId, { dek: randomBytes(32), commitment, source: 'passphrase' }, undefined)).toThrow(/wrong passphrase/);
  });

  it('uses a prefix kept from an earlier try when the meta has none', () => {
    const noPrefix = { nonce_prefix: null, encrypted_metadata: null };
    expect(() => checkKeyBeforeDownload(noPrefix, fileId, { dek: randomBytes(32), commitment, source: 'key' }, prefix)).toThrow(/wrong key/);
    expect(checkKeyBeforeDownload(noPrefix, fileId, { dek, commitment, source: 'key' }, undefined)).toEqual({});
  });

  it('refuses a wrong key by the metadata record alone when there is no commitment', () => {
    expect(() => checkKeyBeforeDownload({ nonce_prefix: null, encrypted_metadata: record }, fileId, { dek: randomBytes(32), source: 'key' }, undefined)).toThrow(/wrong key/);
  });

  it('calls a record that does not open with a key matching the commitment tampered with', () => {
    const other = encryptMetadata(metadata, randomBytes(32), fileId);
    expect(() => checkKeyBeforeDownload({ ...meta, encrypted_metadata: other }, fileId, { dek, commitment, source: 'key' }, undefined)).toThrow(/tampered with/);
  });
});

describe('matchesCommitment', () => {
  const dek = randomBytes(32);
  const prefix = randomBytes(7);
  const commitment = keyCommitment(dek, prefix);

  beforeEach(() => verifyKeyCommitment.mockClear());

  it('compares through libs/crypto\'s constant-time check, not string equality', () => {
    expect(matchesCommitment(dek, prefix, commitment)).toBe(true);
    expect(matchesCommitment(randomBytes(32), prefix, commitment)).toBe(false);
    expect(verifyKeyCommitment).toHaveBeenCalledTimes(2);
    expect(verifyKeyCommitment).toHaveBeenLastCalledWith(expect.any(Buffer), prefix, commitment);
  });

  it('is the check used before the download and on the downloaded prefix', async () => {
    const meta = { nonce_prefix: prefix.toString('hex'), encrypted_metadata: null };
    expect(() => checkKeyBeforeDownload(meta, '8c1f0d2e-0000-4000-8000-000000000001', { dek: randomBytes(32), commitment, source: 'key' }, undefined)).toThrow(/wrong key/);
    expect(verifyKeyCommitment).toHaveBeenCalledTimes(1);
    await collect(checkedAgainstCommitment(pieces(Buffer.concat([prefix, randomBytes(20)]), 5), dek, commitment, async () => undefined));
    expect(verifyKeyCommitment).toHaveBeenCalledTimes(2);
  });

  it('refuses a malformed commitment (wrong length, not base64) instead of throwing', () => {
    expect(matchesCommitment(dek, prefix, commitment.slice(0, 20))).toBe(false);
    expect(matchesCommitment(dek, prefix, '')).toBe(false);
    expect(matchesCommitment(dek, prefix, '!'.repeat(44))).toBe(false);
  });
});
