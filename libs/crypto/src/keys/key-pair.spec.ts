import { AccountKeyError } from './account-key-error';
import { accountKeyPairOf, checkedPair, generateAccountKeyPair, publicKeyFingerprint, publicKeyOf, x25519 } from './key-pair';

const hex = (value: string) => Buffer.from(value, 'hex');

describe('account key pair', () => {
  it('generates raw 32-byte halves that belong together', () => {
    const pair = generateAccountKeyPair();
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKey).toHaveLength(32);
    expect(publicKeyOf(pair.privateKey).equals(pair.publicKey)).toBe(true);
    expect(generateAccountKeyPair().privateKey.equals(pair.privateKey)).toBe(false);
  });

  it('computes RFC 7748 section 6.1 (public keys and the shared secret)', () => {
    const alice = accountKeyPairOf(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = accountKeyPairOf(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(alice.publicKey.toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bob.publicKey.toString('hex')).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(x25519(alice.privateKey, bob.publicKey)!.toString('hex')).toBe(shared);
    expect(x25519(bob.privateKey, alice.publicKey)!.toString('hex')).toBe(shared);
  });

  it('gives no shared secret with a low-order point', () => {
    expect(x25519(generateAccountKeyPair().privateKey, Buffer.alloc(32))).toBeUndefined();
  });

  it('fingerprints a public key as lowercase SHA-256 hex', () => {
    // SHA-256 of 32 zero bytes.
    expect(publicKeyFingerprint(Buffer.alloc(32))).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
  });

  it('refuses keys that are not 32 bytes, and pairs that do not match', () => {
    expect(() => publicKeyFingerprint(Buffer.alloc(31))).toThrow(AccountKeyError);
    expect(() => publicKeyOf(Buffer.alloc(33))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    const [a, b] = [generateAccountKeyPair(), generateAccountKeyPair()];
    expect(checkedPair(a.privateKey, a.publicKey).publicKey.equals(a.publicKey)).toBe(true);
    expect(() => checkedPair(a.privateKey, b.publicKey)).toThrow(expect.objectContaining({ code: 'PAIR_MISMATCH' }));
  });
});
