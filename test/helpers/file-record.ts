import type { FileRecord } from '../../apps/api/src/modules/files/file.repository';

/**
 * A file row as FileRepository returns it, for unit tests with a mocked repository: a pending
 * upload created at `now` that reserved nothing, with `over` setting what the test is about.
 */
export function fileRecord(now: Date, over: Partial<FileRecord> & Pick<FileRecord, 'id' | 'userId' | 'objectKey'>): FileRecord {
  return {
    fileName: 'f',
    mimeType: 'x/y',
    status: 'pending',
    declaredSize: null,
    reservedBytes: 0,
    encryptedSizeBytes: null,
    plaintextSizeBytes: null,
    plaintextHash: '',
    passphraseSalt: '',
    keyManagementMode: null,
    keyCommitment: null,
    kdfParams: null,
    sealedKey: null,
    encryptedMetadata: null,
    noncePrefix: null,
    multipartUploadId: null,
    partSize: null,
    partCount: null,
    completingUntil: null,
    failureCode: null,
    uploadExpiresAt: new Date(now.getTime() + 900_000),
    completedAt: null,
    sizeVerifiedAt: null,
    deletedAt: null,
    objectRemovedAt: null,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}
