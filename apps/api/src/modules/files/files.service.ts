import { randomUUID } from 'node:crypto';
import { formatExactBytes } from '@coffer/contract';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { fileObjectKey, ownerHash, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { QuotaService } from '../quota/quota.service';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository, KdfParams, LIVE_STATUSES, VISIBLE_STATUSES } from './file.repository';
import { MultipartUploadsService } from './multipart-uploads.service';
import { CompleteAccepted, MultipartPresignResponse } from './multipart.dto';
import {
  CompleteResponse,
  FileDetails,
  FileSummary,
  HashResponse,
  PresignResponse,
  ResolvedFile,
  SaltResponse,
  toCompleteResponse,
  toFileDetails,
  toFileSummary,
  toPresignResponse,
  toResolvedFile,
} from './files.dto';

export interface PresignInput {
  fileName: string;
  mimeType: string;
  size?: number;
  /** [ext] Ask for a multipart upload (honoured at or above the threshold). */
  multipart?: boolean;
}

export interface CompleteInput {
  fileId: string;
  plaintextHash: string;
  plaintextSizeBytes: number;
  passphraseSalt: string;
  keyCommitment?: string;
  kdfParams?: KdfParams;
  sealedKey?: string;
  encryptedMetadata?: string;
  noncePrefix?: string;
  /** [ext] Multipart files: every part with the etag its PUT answered. */
  parts?: { partNumber: number; etag: string }[];
}

/** Uploads (presign, complete), the owner's views of their files, and deletion. */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);

  constructor(
    private readonly files: FileRepository,
    private readonly quota: QuotaService,
    private readonly objects: FileObjects,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly multipart: MultipartUploadsService,
  ) {}

  async presign(userId: string, input: PresignInput): Promise<PresignResponse | MultipartPresignResponse> {
    const multipart = this.multipart.wants(input.size, input.multipart);
    const plan = multipart ? this.multipart.plan(input.size as number) : undefined;
    if (!plan && input.size !== undefined) this.quota.assertDeclaredSizeAllowed(input.size);
    const id = randomUUID();
    const objectKey = fileObjectKey(ownerHash(this.config.secrets.userIdHash, userId), id);
    const now = this.clock.now();
    const ttl = this.config.ttl.presignSeconds;
    const uploadExpiresAt = new Date(now.getTime() + ttl * 1000);
    // Signing needs no network; a URL for a refused reservation is simply never handed out.
    const upload = plan ? undefined : await this.store.presignPut(objectKey, { contentLength: input.size, expiresInSec: ttl });
    const outcome = await this.files.createPending(
      {
        id,
        userId,
        fileName: input.fileName,
        mimeType: input.mimeType,
        objectKey,
        declaredSize: input.size,
        uploadExpiresAt,
        now,
      },
      this.quota.limits,
    );
    switch (outcome) {
      case 'created':
        // The reservation comes first: a refused presign never creates anything in storage.
        if (plan) return this.multipart.start({ id, userId, objectKey, expiresAt: uploadExpiresAt }, plan);
        return toPresignResponse(id, upload as NonNullable<typeof upload>);
      case 'file-count':
        throw new DomainError('FILE_COUNT_LIMIT', `You already have ${this.config.limits.maxFilesPerUser} files, the most allowed; delete some first`);
      case 'over-quota':
        throw new DomainError('QUOTA_EXCEEDED', `This upload would exceed your storage quota of ${formatExactBytes(this.config.limits.userQuotaBytes)}`);
      case 'storage-full':
        throw new DomainError('STORAGE_FULL', 'The server has no storage left for this upload; try again later');
    }
  }

  async complete(userId: string, input: CompleteInput): Promise<CompleteResponse | CompleteAccepted> {
    const file = await this.files.findOwned(userId, input.fileId);
    if (file && file.partCount !== null) return this.multipart.complete(userId, file, input);
    if (!file || !LIVE_STATUSES.includes(file.status)) throw notFound();
    if (input.parts) throw new DomainError('VALIDATION_FAILED', 'parts is only for multipart uploads; this file takes a single PUT');
    // Repeating complete is harmless: the first one decided.
    if (file.status === 'uploaded') return toCompleteResponse(file);

    const object = await this.headObject(file.objectKey);
    if (!object) throw new DomainError('UPLOAD_INCOMPLETE', 'The object is not in storage yet; upload it, then complete again');
    const violation = this.quota.storedSizeViolation(object.size, file.declaredSize);
    if (violation) {
      await this.discard(file);
      throw new DomainError('FILE_TOO_LARGE', `${violation}; the upload was discarded`);
    }

    const outcome = await this.files.completeUpload(
      {
        id: file.id,
        userId,
        sizeBytes: object.size,
        plaintextSizeBytes: input.plaintextSizeBytes,
        plaintextHash: input.plaintextHash,
        passphraseSalt: input.passphraseSalt,
        keyManagementMode: input.passphraseSalt === '' ? 'vault' : 'passphrase',
        keyCommitment: input.keyCommitment ?? null,
        kdfParams: input.kdfParams ?? null,
        sealedKey: input.sealedKey ?? null,
        encryptedMetadata: input.encryptedMetadata ?? null,
        noncePrefix: input.noncePrefix ?? null,
        now: this.clock.now(),
      },
      this.quota.limits,
    );
    switch (outcome) {
      case 'completed':
        return toCompleteResponse({ objectKey: file.objectKey, encryptedSizeBytes: object.size });
      case 'not-pending': {
        // A concurrent complete of the same file won (same answer), or a cleanup failed it.
        const current = await this.files.findOwned(userId, file.id);
        if (current?.status === 'uploaded') return toCompleteResponse(current);
        throw notFound();
      }
      case 'over-quota':
        await this.discard(file);
        throw new DomainError(
          'UPLOAD_OVER_QUOTA',
          `The stored object (${formatExactBytes(object.size)}) does not fit in your storage quota of ${formatExactBytes(this.config.limits.userQuotaBytes)}; the upload was discarded`,
        );
      case 'storage-full':
        await this.discard(file);
        throw new DomainError('UPLOAD_OVER_QUOTA', `The server has no storage left for ${formatExactBytes(object.size)}; the upload was discarded`);
    }
  }

  async list(userId: string): Promise<FileSummary[]> {
    return (await this.files.listVisible(userId)).map(toFileSummary);
  }

  async resolve(userId: string, idPrefix: string): Promise<ResolvedFile[]> {
    return (await this.matching(userId, idPrefix)).map(toResolvedFile);
  }

  async details(userId: string, idPrefix: string): Promise<FileDetails[]> {
    return (await this.matching(userId, idPrefix)).map(toFileDetails);
  }

  /** 404 for vault-mode files too: the stock client takes that as "no passphrase needed". */
  async salt(userId: string, fileId: string): Promise<SaltResponse> {
    const file = await this.uploaded(userId, fileId);
    if (file.keyManagementMode !== 'passphrase') throw new DomainError('NOT_FOUND', 'This file has no passphrase salt');
    return { salt: file.passphraseSalt };
  }

  async hash(userId: string, fileId: string): Promise<HashResponse> {
    return { hash: (await this.uploaded(userId, fileId)).plaintextHash };
  }

  /**
   * Records the sealed key of one of the caller's uploaded files that has none (files uploaded
   * before account keys). The same key again is a no-op; another one is refused: a stored sealed
   * key is never replaced, so nobody holding only a session can swap a file's key for one of theirs.
   */
  async setSealedKey(userId: string, fileId: string, sealedKey: string): Promise<void> {
    switch (await this.files.setSealedKey(userId, fileId, sealedKey, this.clock.now())) {
      case 'stored':
      case 'same':
        return;
      case 'different':
        throw new DomainError('KEY_MISMATCH', 'This file already has a different sealed key; it is never replaced');
      case 'not-found':
        throw notFound();
    }
  }

  /** Deletes the one file the prefix names: usage is released at once, the object right after. */
  async remove(userId: string, idPrefix: string): Promise<void> {
    const matches = await this.matching(userId, idPrefix);
    if (matches.length > 1) {
      throw new DomainError('AMBIGUOUS_ID', `The id prefix "${idPrefix}" matches ${matches.length} files; give more characters`);
    }
    const ended = await this.files.endLife(userId, matches[0].id, VISIBLE_STATUSES, 'deleted', this.clock.now());
    if (!ended) throw notFound();
    await this.objects.remove(ended);
  }

  private async matching(userId: string, idPrefix: string): Promise<FileRecord[]> {
    const files = await this.files.findVisibleByPrefix(userId, idPrefix);
    if (files.length === 0) throw notFound();
    return files;
  }

  private async uploaded(userId: string, fileId: string): Promise<FileRecord> {
    const file = await this.files.findOwned(userId, fileId);
    if (file?.status !== 'uploaded') throw notFound();
    return file;
  }

  /** Fails a pending upload whose object cannot be kept, releasing its reservation, and removes the object. */
  private async discard(file: FileRecord): Promise<void> {
    const ended = await this.files.endLife(file.userId, file.id, ['pending'], 'failed', this.clock.now());
    // When another request got there first, it owns the object's fate (it may even be a valid upload).
    if (ended) await this.objects.remove(ended);
  }

  private async headObject(key: string): Promise<{ size: number } | undefined> {
    try {
      return await this.store.head(key);
    } catch (err) {
      this.logger.error(`storage HEAD of ${key} failed: ${(err as Error).message}`);
      // Nothing changed; the client may simply complete again.
      throw new DomainError('SERVICE_UNAVAILABLE', 'The storage cannot be reached right now; complete the upload again later', 30);
    }
  }
}

function notFound(): DomainError {
  return new DomainError('NOT_FOUND', 'No such file');
}
