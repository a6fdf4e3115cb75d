import { createHash, randomBytes, randomInt } from 'node:crypto';
import { plaintextHash } from './plaintext-hash';

describe('plaintextHash on the worker ring', () => {
  it('hashes like node:crypto whatever the update sizes, across many ring slots', async () => {
    const hasher = plaintextHash(true);
    const expected = createHash('sha256');
    try {
      for (let i = 0; i < 120; i++) {
        const data = randomBytes(randomInt(0, i % 10 === 0 ? 2_000_000 : 70_000));
        await hasher.update(data);
        expected.update(data);
      }
      expect(await hasher.digest()).toBe(expected.digest('hex'));
    } finally {
      hasher.dispose();
    }
  });

  it('hashes empty input', async () => {
    const hasher = plaintextHash(true);
    expect(await hasher.digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    hasher.dispose();
  });

  it('does not keep the data it was given', async () => {
    const data = Buffer.alloc(300 * 1024, 1);
    const hasher = plaintextHash(true);
    await hasher.update(data);
    data.fill(2);
    expect(await hasher.digest()).toBe(createHash('sha256').update(Buffer.alloc(300 * 1024, 1)).digest('hex'));
    hasher.dispose();
  });

  it('fails instead of waiting forever when its worker dies', async () => {
    const hasher = plaintextHash(true);
    await (hasher as unknown as { ring: { worker: { terminate(): Promise<number> } } }).ring.worker.terminate();
    await expect(hasher.update(randomBytes(5_000_000))).rejects.toThrow('the hashing worker exited');
    await expect(hasher.digest()).rejects.toThrow('the hashing worker exited');
  });
});
