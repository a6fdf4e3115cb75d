import { join } from 'node:path';

/**
 * AES-256-GCM of one frame into memory the caller owns (libs/crypto/native/gcm.c, built by
 * `npm install`). Node's own Cipher API allocates, zero-fills and re-allocates a fresh buffer for
 * every call, which on 64 KiB frames costs more than the cipher itself.
 */
export interface NativeGcm {
  /** Writes ciphertext then the 16-byte tag into `out`; returns their length. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): number;
  /** Writes the plaintext into `out` and tells whether the tag verified (`out` is zeroed if not). */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, out: Uint8Array): boolean;
}

/** Where node-gyp puts the binding; the same from `src/format/` (jest) and `dist/format/`. */
const NATIVE_GCM_PATH = join(__dirname, '..', '..', 'build', 'Release', 'coffer_gcm.node');

/** Set `COFFER_NATIVE_CRYPTO=0` to use Node's crypto even when the binding is built. */
const DISABLE_VARIABLE = 'COFFER_NATIVE_CRYPTO';

export type NativeGcmStatus = { binding: NativeGcm } | { binding?: undefined; reason: string };

export const nativeGcm: NativeGcmStatus = loadNativeGcm();

function loadNativeGcm(): NativeGcmStatus {
  if (process.env[DISABLE_VARIABLE] === '0') return { reason: `disabled by ${DISABLE_VARIABLE}=0` };
  try {
    // The binding is an optional compiled addon: it must be loaded lazily, inside this try.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { binding: require(NATIVE_GCM_PATH) as NativeGcm };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { reason: code === 'MODULE_NOT_FOUND' ? 'the binding was not built (npm install builds it with node-gyp)' : (error as Error).message };
  }
}

/** One line for `--verbose` output and bug reports. */
export function aesGcmImplementation(): string {
  return nativeGcm.binding ? 'AES-256-GCM: OpenSSL through the native binding' : `AES-256-GCM: Node's crypto (${nativeGcm.reason})`;
}
