// The public surface of @coffer/crypto, listed in libs/crypto/README.md.
export { blobSize, CHUNK_SIZE as FRAME_PLAINTEXT_BYTES, MAX_FRAME_SIZE as FULL_FRAME_BYTES } from './format/blob';
export { aesGcmImplementation } from './format/native-gcm';
export { keyCommitment, verifyKeyCommitment } from './format/commitment';
export { DecryptionError } from './format/decryption-error';
export { randomDek } from './format/keys';
export {
  DEFAULT_KDF_BOUNDS,
  DEFAULT_KDF_PARAMS,
  deriveKeyFromPassphrase,
  MIN_PASSPHRASE_LENGTH,
  newSalt,
  parseKdfParams,
  type KdfBounds,
  type KdfOptions,
  type KdfParams,
} from './format/kdf';
export { encrypt, prestartEncryptWorker, type EncryptedBlob, type EncryptOptions, type EncryptResult } from './stream/encrypt';
export { blobParts, encryptPart, type BlobPart, type PartPlacement } from './stream/encrypt-part';
export { decrypt, type DecryptedStream, type DecryptOptions, type DecryptResult } from './stream/decrypt';
export { FRAME_SIZE, frameCountOf, openFrameRange, plaintextOffsetOf, plaintextSizeOf, type FrameRange } from './stream/decrypt-range';
export { prestartRangeDecryptor, RangeDecryptor, type RangeDecryptorOptions } from './stream/range-decryptor';
export { pipeTo, type ChunkSink } from './stream/pipeline';
export type { ResultStream } from './stream/result-stream';
export { FileChangedError, type EncryptSource, type FileSource } from './stream/sources';
export { Vault, type VaultEntry, type VaultKdfOptions } from './vault/vault';
export { VaultError, type VaultErrorCode } from './vault/vault-error';
export { AccountKeyError, type AccountKeyErrorCode } from './keys/account-key-error';
export { generateAccountKeyPair, publicKeyFingerprint, publicKeyOf, type AccountKeyPair } from './keys/key-pair';
export { parseKeyBundle, serializeKeyBundle, type KeyBundle, type PasswordWrap, type RecoveryWrap } from './keys/key-bundle';
export { unwrapWithPassword, wrapWithPassword, type PasswordWrapOptions } from './keys/password-wrap';
export { newRecoveryCode, parseRecoveryCode } from './keys/recovery-code';
export { unwrapWithRecoveryCode, wrapWithRecoveryCode } from './keys/recovery-wrap';
export { sealFileKey, unsealFileKey } from './keys/sealed-key';
export { decryptMetadata, encryptMetadata, type FileMetadata } from './keys/metadata-record';
