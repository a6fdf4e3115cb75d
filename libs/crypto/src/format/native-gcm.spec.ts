import { createCipheriv, randomBytes } from 'node:crypto';
import { nativeGcm } from './native-gcm';

const binding = nativeGcm.binding;
const key = randomBytes(32);
const nonce = randomBytes(12);

function nodeSeal(plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

// `.ci/run` sets this, so CI fails when `npm ci` could not build the binding (it would otherwise
// fall back to Node's crypto silently, at about half the speed).
(process.env.COFFER_EXPECT_NATIVE_CRYPTO === '1' ? it : it.skip)('is built on this machine', () => {
  expect(nativeGcm).toEqual(expect.objectContaining({ binding: expect.anything() }));
});

(binding ? describe : describe.skip)('the native AES-256-GCM binding', () => {
  const gcm = binding!;

  it.each([0, 1, 15, 16, 17, 65_535, 65_536, 100_003])('seals %i bytes exactly as Node does, and opens them', (size) => {
    const plaintext = randomBytes(size);
    const sealed = Buffer.alloc(size + 16);
    expect(gcm.seal(key, nonce, plaintext, sealed)).toBe(size + 16);
    expect(sealed.equals(nodeSeal(plaintext))).toBe(true);
    const opened = Buffer.alloc(size);
    expect(gcm.open(key, nonce, sealed, opened)).toBe(true);
    expect(opened.equals(plaintext)).toBe(true);
  });

  it('works on views into shared memory at any offset, and writes nothing past the frame', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4096));
    const plaintext = shared.subarray(3, 1003);
    plaintext.set(randomBytes(1000));
    const out = new Uint8Array(new SharedArrayBuffer(2048)).fill(0xee);
    expect(gcm.seal(key, nonce, plaintext, out.subarray(5, 5 + 1016))).toBe(1016);
    expect(Buffer.from(out.subarray(5, 1021)).equals(nodeSeal(plaintext))).toBe(true);
    expect(out.subarray(0, 5).every((b) => b === 0xee) && out.subarray(1021).every((b) => b === 0xee)).toBe(true);
  });

  it.each([
    ['a ciphertext byte', (s: Buffer) => (s[3] ^= 1)],
    ['a tag byte', (s: Buffer) => (s[s.length - 1] ^= 0x80)],
  ])('refuses a frame with a flipped %s and zeroes the output', (_what, tamper) => {
    const sealed = nodeSeal(randomBytes(4096));
    tamper(sealed);
    const out = Buffer.alloc(4096, 0xaa);
    expect(gcm.open(key, nonce, sealed, out)).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('refuses the wrong key, the wrong nonce and a frame cut short', () => {
    const sealed = nodeSeal(randomBytes(100));
    const out = Buffer.alloc(100);
    expect(gcm.open(randomBytes(32), nonce, sealed, out)).toBe(false);
    expect(gcm.open(key, randomBytes(12), sealed, out)).toBe(false);
    expect(gcm.open(key, nonce, sealed.subarray(0, 99), out)).toBe(false);
  });

  it.each([
    ['a 16-byte key', () => gcm.seal(randomBytes(16), nonce, Buffer.alloc(1), Buffer.alloc(17)), /key: 32 bytes/],
    ['an 8-byte nonce', () => gcm.seal(key, randomBytes(8), Buffer.alloc(1), Buffer.alloc(17)), /nonce: 12 bytes/],
    ['an output without room for the tag', () => gcm.seal(key, nonce, Buffer.alloc(10), Buffer.alloc(25)), /out must hold/],
    ['a string', () => gcm.seal(key, nonce, 'plaintext' as unknown as Uint8Array, Buffer.alloc(25)), /Uint8Arrays/],
    ['a Uint16Array', () => gcm.seal(key, nonce, new Uint16Array(4) as unknown as Uint8Array, Buffer.alloc(24)), /Uint8Arrays/],
    ['a sealed frame shorter than a tag', () => gcm.open(key, nonce, Buffer.alloc(15), Buffer.alloc(15)), /sealed must hold/],
    ['an output smaller than the plaintext', () => gcm.open(key, nonce, Buffer.alloc(40), Buffer.alloc(23)), /out its plaintext/],
    ['three arguments', () => (gcm.open as (...a: unknown[]) => boolean)(key, nonce, Buffer.alloc(40)), /Uint8Arrays/],
  ])('throws a TypeError for %s', (_what, call, message) => {
    // The addon's errors come from Node's own realm, not jest's, so no instanceof.
    let error: (Error & { code?: string }) | undefined;
    try {
      call();
    } catch (thrown) {
      error = thrown as Error & { code?: string };
    }
    expect(error?.name).toBe('TypeError');
    expect(error?.message).toMatch(message);
  });
});
