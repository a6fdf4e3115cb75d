import { formatExactBytes } from '@coffer/contract';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MultipartUploadError, type ObjectStore, type UploadedPart } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { QuotaService } from '../quota/quota.service';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository, KdfParams } from './file.repository';
import { CompleteResponse, toCompleteResponse } from './files.dto';

/** What complete carries besides the file id (FilesService's CompleteInput is one). */
export interface CompletionInput {
  plaintextHash: string;
  plaintextSizeBytes: number;
  passphraseSalt: string;
  keyCommitment?: string;
  kdfParams?: KdfParams;
  sealedKey?: string;
  encryptedMetadata?: string;
  noncePrefix?: string;
  parts?: { partNumber: number; etag: string }[];
}

type PlannedFile = FileRecord & { partSize: number; partCount: number; declaredSize: number; multipartUploadId: string };

/** A completion holds its file this long unless renewed; a server that died mid-join is taken over after it. */
export const COMPLETION_LEASE_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

/**
 * Runs multipart completions: the storage join (the fs driver copies every byte, minutes for a
 * large file), the size check and the record, exactly as a single-PUT completion records it.
 * A completion holds its file through a lease in the database (`completing_until`, renewed while
 * it runs), so one runs at a time across servers, part URLs stop being handed out and the expiry
 * jobs leave the file alone. Requests wait for it up to MULTIPART_COMPLETE_WAIT_MS; later ones
 * (here or on another server) find it running and answer 202 until it has recorded the file.
 */
@Injectable()
export class MultipartCompletion {
  private readonly logger = new Logger(MultipartCompletion.name);
  private readonly running = new Map<string, Promise<CompleteResponse>>();

  constructor(
    private readonly files: FileRepository,
    private readonly quota: QuotaService,
    private readonly objects: FileObjects,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Starts (or joins) the completion of `file`. `check` refuses parts storage holds that are not
   * the named ones; it runs before the join, so a refusal leaves the upload untouched.
   */
  async run(
    userId: string,
    file: PlannedFile,
    input: CompletionInput,
    check: (stored: readonly UploadedPart[]) => void,
  ): Promise<CompleteResponse | 'completing'> {
    let task = this.running.get(file.id);
    if (!task) {
      const now = this.clock.now();
      if (!(await this.files.claimCompletion(userId, file.id, now, new Date(now.getTime() + COMPLETION_LEASE_MS)))) {
        const current = await this.files.findOwned(userId, file.id);
        if (current?.status === 'uploaded') return toCompleteResponse(current);
        if (current?.status === 'pending') return 'completing';
        throw current?.status === 'failed' ? failedEarlier(current) : notFound();
      }
      try {
        const stored = await this.storedParts(file);
        // Gone: an earlier completion may have joined it and died before recording; record() decides.
        if (stored !== undefined) check(stored);
      } catch (err) {
        await this.files.releaseCompletion(userId, file.id);
        throw err;
      }
      task = this.join(userId, file, input);
      this.running.set(file.id, task);
      task
        .catch((err: unknown) => {
          if (!(err instanceof DomainError)) this.logger.error(`completion of file ${file.id} failed: ${(err as Error).message}`);
        })
        .finally(() => this.running.delete(file.id));
    }
    return this.waitFor(task);
  }

  private async waitFor(task: Promise<CompleteResponse>): Promise<CompleteResponse | 'completing'> {
    let timer: NodeJS.Timeout | undefined;
    const later = new Promise<'completing'>((resolve) => {
      timer = setTimeout(() => resolve('completing'), this.config.multipart.completeWaitMs);
    });
    try {
      return await Promise.race([task, later]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async join(userId: string, file: PlannedFile, input: CompletionInput): Promise<CompleteResponse> {
    const renew = setInterval(() => {
      this.files.renewCompletion(userId, file.id, new Date(this.clock.now().getTime() + COMPLETION_LEASE_MS)).catch((err: unknown) => {
        this.logger.warn(`lease of the completion of file ${file.id} not renewed: ${(err as Error).message}`);
      });
    }, RENEW_EVERY_MS);
    renew.unref();
    try {
      const parts = (input.parts ?? []).map((part) => ({ partNumber: part.partNumber, etag: part.etag }));
      try {
        await this.store.completeMultipartUpload(file.objectKey, file.multipartUploadId, parts);
      } catch (err) {
        if (!(err instanceof MultipartUploadError)) {
          this.logger.error(`storage could not complete the upload of file ${file.id}: ${(err as Error).message}`);
          throw unavailable();
        }
        // A part replaced between the check and the join; the upload is as it was.
        if (err.code !== 'NO_SUCH_UPLOAD') throw new DomainError('PART_MISMATCH', `Storage refused the parts: ${err.message}; upload them again, then complete again`);
      }
      return await this.record(userId, file, input);
    } catch (err) {
      await this.files.releaseCompletion(userId, file.id).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  /** Checks the joined object and records the file as a single-PUT completion would. */
  private async record(userId: string, file: PlannedFile, input: CompletionInput): Promise<CompleteResponse> {
    let object: { size: number } | undefined;
    try {
      object = await this.store.head(file.objectKey);
    } catch (err) {
      this.logger.error(`storage HEAD of file ${file.id} failed: ${(err as Error).message}`);
      throw unavailable();
    }
    if (!object) {
      // Neither the upload nor the object: nothing can complete this file any more.
      await this.discard(file);
      throw new DomainError('NOT_FOUND', 'The upload no longer exists in storage; start a new upload');
    }
    const violation = this.quota.storedSizeViolation(object.size, file.declaredSize, true) ?? (object.size !== file.declaredSize ? `The stored object (${formatExactBytes(object.size)}) is not the declared size (${formatExactBytes(file.declaredSize)})` : undefined);
    if (violation) {
      await this.discard(file, 'FILE_TOO_LARGE');
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
        await this.files.releaseCompletion(userId, file.id);
        return toCompleteResponse({ objectKey: file.objectKey, encryptedSizeBytes: object.size });
      case 'not-pending': {
        const current = await this.files.findOwned(userId, file.id);
        if (current?.status === 'uploaded') return toCompleteResponse(current);
        // Deleted or failed while the join ran: its object was removed before the join made it.
        await this.objects.remove(file);
        throw notFound();
      }
      case 'over-quota':
      case 'storage-full':
        await this.discard(file, 'UPLOAD_OVER_QUOTA');
        throw new DomainError(
          'UPLOAD_OVER_QUOTA',
          outcome === 'over-quota'
            ? `The stored object (${formatExactBytes(object.size)}) does not fit in your storage quota of ${formatExactBytes(this.config.limits.userQuotaBytes)}; the upload was discarded`
            : `The server has no storage left for ${formatExactBytes(object.size)}; the upload was discarded`,
        );
    }
  }

  /** Fails the pending file (reservation released), aborts its upload and removes its object. */
  private async discard(file: PlannedFile, failureCode?: string): Promise<void> {
    const ended = await this.files.endLife(file.userId, file.id, ['pending'], 'failed', this.clock.now(), { failureCode });
    if (ended) await this.objects.remove(ended);
  }

  private async storedParts(file: PlannedFile): Promise<UploadedPart[] | undefined> {
    try {
      return await this.store.listParts(file.objectKey, file.multipartUploadId);
    } catch (err) {
      if (err instanceof MultipartUploadError && err.code === 'NO_SUCH_UPLOAD') return undefined;
      this.logger.error(`storage could not list the parts of file ${file.id}: ${(err as Error).message}`);
      throw unavailable();
    }
  }
}

/** A repeated complete of a multipart file that its completion failed answers why. */
export function failedEarlier(file: Pick<FileRecord, 'failureCode'>): DomainError {
  switch (file.failureCode) {
    case 'UPLOAD_OVER_QUOTA':
      return new DomainError('UPLOAD_OVER_QUOTA', 'The upload did not fit in your storage quota when it was completed; it was discarded');
    case 'FILE_TOO_LARGE':
      return new DomainError('FILE_TOO_LARGE', 'The completed object was not the declared size; the upload was discarded');
    default:
      return notFound();
  }
}

function notFound(): DomainError {
  return new DomainError('NOT_FOUND', 'No such pending multipart upload');
}

function unavailable(): DomainError {
  return new DomainError('SERVICE_UNAVAILABLE', 'The storage cannot be reached right now; complete the upload again later', 30);
}
