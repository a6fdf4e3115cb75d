import { createHash, randomBytes } from 'node:crypto';
import * as native from '@coffer/crypto';
import { collect, chunked, decryptOutcome, encryptToBuffer } from './helpers';

/** libs/crypto loaded afresh with the native binding switched off, as on a machine without a compiler. */
function loadFallback(): typeof native {
  const saved = process.env.COFFER_NATIVE_CRYPTO;
  process.env.COFFER_NATIVE_CRYPTO = '0';
  try {
    let library: typeof native | undefined;
    jest.isolateModules(() => {
      library = jest.requireActual('@coffer/crypto');
    });
    return library!;
  } finally {
    if (saved === undefined) delete process.env.COFFER_NATIVE_CRYPTO;
    else process.env.COFFER_NATIVE_CRYPTO = saved;
  }
}

const MIB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe("libs/crypto on Node's crypto (no native binding)", () => {
  const fallback = loadFallback();
  const key = native.randomDek();

  it('says which AES-GCM it uses', () => {
    expect(fallback.aesGcmImplementation()).toBe("AES-256-GCM: Node's crypto (disabled by COFFER_NATIVE_CRYPTO=0)");
  });

  // expectedSize above the library's worker threshold (8 MiB) makes `encrypt` hash on the worker.
  it.each([0, 1, 65_536, 3 * MIB + 5].flatMap((size) => [true, false].map((onWorker) => ({ size, onWorker }))))(
    'writes the same blob for $size bytes (hash on a worker: $onWorker), and both decrypt it',
    async ({ size, onWorker }) => {
      const plaintext = randomBytes(size);
      const reference = await encryptToBuffer(plaintext, key, {}, undefined, onWorker);
      const expectedSize = onWorker ? 9 * MIB : undefined;
      const blob = fallback.encrypt(chunked(plaintext, MIB), key, { expectedSize, noncePrefix: reference.noncePrefix });
      const bytes = await collect(blob);
      expect(bytes.equals(reference.bytes)).toBe(true);
      expect(await blob.result).toEqual({ sha256: sha256(plaintext), plaintextSize: size });

      const opened = fallback.decrypt(chunked(bytes, 5000), key, { commitment: blob.commitment });
      expect((await collect(opened)).equals(plaintext)).toBe(true);
      expect((await decryptOutcome(bytes, key)).released.equals(plaintext)).toBe(true);
    },
  );

  it('refuses a tampered frame with the one generic error', async () => {
    const { bytes } = await encryptToBuffer(randomBytes(200_000), key);
    bytes[70_000] ^= 1;
    const stream = fallback.decrypt(chunked(bytes, 4096), key);
    await expect(collect(stream)).rejects.toBeInstanceOf(fallback.DecryptionError);
  });
});
