export {
  assertContentLength,
  assertExpiresInSec,
  MAX_PRESIGN_EXPIRY_SEC,
  MAX_SINGLE_PUT_BYTES,
  OBJECT_CONTENT_TYPE,
  systemClock,
  type ObjectStore,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type StoreClock,
  type StoredObject,
} from './object-store';
export {
  assertCompletedParts,
  assertPartLength,
  assertPartNumber,
  assertPartSizes,
  assertUploadId,
  MAX_MULTIPART_OBJECT_BYTES,
  MAX_PART_BYTES,
  MAX_PART_NUMBER,
  MIN_PART_BYTES,
  MIN_PART_NUMBER,
  MultipartUploadError,
  partCountFor,
  type CompletedPart,
  type MultipartErrorCode,
  type MultipartUploadInfo,
  type PresignUploadPartOptions,
  type UploadedPart,
} from './multipart';
export { abortMultipartUploads } from './abort-uploads';
export {
  assertValidKey,
  assertValidPrefix,
  fileObjectKey,
  InvalidObjectKeyError,
  ownerHash,
  OWNER_HASH_MARKER,
  OWNER_HASH_PATTERN,
  ownerKeyPrefix,
  sharedObjectKey,
} from './object-key';
export { contentDisposition } from './content-disposition';
export {
  createS3Client,
  S3ObjectStore,
  type S3ConnectionConfig,
  type S3ObjectStoreClients,
  type S3ObjectStoreOptions,
  type S3StoreConfig,
} from './s3-object-store';
export { FsObjectStore, FsStoreError, type FsObjectStoreOptions, type ReceiveOptions } from './fs-object-store';
export {
  createFsBlobHandler,
  type FsBlobHandler,
  type FsBlobHandlerOptions,
  type UploadPartTarget,
  type UploadPermission,
  type UploadPermissionCheck,
} from './fs-blob-handler';
export { FS_STORAGE_PATH } from './fs-url-signer';
