export { blobSize } from './blob-format';
export { encrypt, FileChangedError, prestartEncryptWorker, type BlockSource, type EncryptedBlob, type EncryptOptions, type EncryptResult, type EncryptSource, type FileSource } from './encrypt';
export { decrypt, type DecryptedStream, type DecryptOptions, type DecryptResult } from './decrypt';
export { DecryptionError } from './decryption-error';
export type { ResultStream } from './result-stream';
export { keyCommitment } from './commitment';
export { randomDek } from './keys';
export { aesGcmImplementation } from './native-gcm';
export {
  DEFAULT_KDF_PARAMS,
  deriveKeyFromPassphrase,
  MIN_PASSPHRASE_LENGTH,
  newSalt,
  parseKdfParams,
  type KdfParams,
} from './kdf';
export { Vault, type VaultEntry } from './vault';
// Client state files (the CLI's credentials and settings live beside the vault).
export { LockTimeoutError, withFileLock, type FileLockOptions } from './file-lock';
export { ensurePrivateDir, writeFileAtomic } from './private-files';
export { VaultError, type VaultErrorCode } from './vault-error';
