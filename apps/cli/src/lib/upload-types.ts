import type { KeyMode } from './coffer-api';
import type { PendingVault } from './vault-access';

/**
 * How the file key is made and kept: a random DEK sealed to the account public key (and also
 * recorded in the local vault when it exists and its password was given: `vault`, best effort);
 * on a server without account keys, a random DEK kept in the local vault only (`seal` absent,
 * `vault` required, which may still be unlocking); or Argon2id of a passphrase.
 */
export type UploadKeying =
  | { mode: 'vault'; seal: { publicKey: Buffer }; vault?: PendingVault; vaultWarned?: boolean }
  | { mode: 'vault'; seal?: undefined; vault: PendingVault }
  | { mode: 'passphrase'; passphrase: string };

export interface UploadResult {
  path: string;
  file_id: string;
  file_name: string;
  link: string;
  mode: KeyMode;
  size_bytes: number;
  encrypted_size_bytes: number;
  plaintext_sha256: string;
  /** Vault mode: the key is sealed to the account key on the server (false: in the local vault only). */
  sealed: boolean;
}
