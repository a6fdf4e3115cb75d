import { randomBytes } from 'node:crypto';
import { keyCommitment } from '@coffer/crypto';
import { checkedAgainstCommitment, CommitmentMismatch, mismatchFailure } from './key-check';

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
