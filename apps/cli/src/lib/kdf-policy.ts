import { DEFAULT_KDF_BOUNDS, DEFAULT_KDF_PARAMS, type KdfBounds, type KdfParams } from '@coffer/crypto';

/**
 * Argon2id parameters of what this CLI creates (a new vault, a passphrase-mode file) and the
 * limits it accepts in what it reads. The `coffer` binary always runs with PRODUCTION_KDF; only
 * the end-to-end tests build the program with cheaper parameters (apps/cli/test/coffer-fast-kdf.js).
 */
export interface KdfPolicy {
  readonly vault: KdfParams;
  readonly passphrase: KdfParams;
  readonly bounds: KdfBounds;
}

export const PRODUCTION_KDF: KdfPolicy = Object.freeze({ vault: DEFAULT_KDF_PARAMS, passphrase: DEFAULT_KDF_PARAMS, bounds: DEFAULT_KDF_BOUNDS });
