export { blobSize } from './blob-format';
export { encrypt, type EncryptedBlob, type EncryptOptions, type EncryptResult } from './encrypt';
export { decrypt, type DecryptedStream, type DecryptOptions, type DecryptResult } from './decrypt';
export { DecryptionError } from './decryption-error';
export type { ResultStream } from './result-stream';
export { keyCommitment } from './commitment';
export { randomDek } from './keys';
export {
  DEFAULT_KDF_PARAMS,
  deriveKeyFromPassphrase,
  MIN_PASSPHRASE_LENGTH,
  newSalt,
  parseKdfParams,
  type KdfParams,
} from './kdf';
export { Vault, type VaultEntry } from './vault';
export { withFileLock, type FileLockOptions } from './file-lock';
export { VaultError, type VaultErrorCode } from './vault-error';
