import { Inject, Injectable, Logger } from '@nestjs/common';
import { MultipartUploadError, type ObjectStore, type UploadedPart } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { toRfc3339 } from '../../common/rfc3339';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { QuotaService } from '../quota/quota.service';
import { OBJECT_STORE } from '../storage/storage.module';
import { FileObjects } from './file-objects';
import { FileRecord, FileRepository, isCompleting } from './file.repository';
import { CompleteResponse, toCompleteResponse } from './files.dto';
import { CompleteAccepted, MultipartPresignResponse, PartUrlsResponse, UploadedPartsResponse } from './multipart.dto';
import { planMultipart, partSizeOf } from './multipart-plan';
import { failedEarlier, MultipartCompletion, type CompletionInput } from './multipart-completion';

/** A multipart file as this service needs it: pending (or done), with its plan. */
type PlannedFile = FileRecord & { partSize: number; partCount: number; declaredSize: number; multipartUploadId: string };

/**
 * Multipart uploads (docs/API.md "Multipart uploads"): presign's multipart answer, part URLs,
 * what storage holds, and completion. Everything a client can send is checked here; the storage
 * join itself runs in `MultipartCompletion`, which may outlive the request.
 */
@Injectable()
export class MultipartUploadsService {
  private readonly logger = new Logger(MultipartUploadsService.name);

  constructor(
    private readonly files: FileRepository,
    private readonly quota: QuotaService,
    private readonly objects: FileObjects,
    private readonly completion: MultipartCompletion,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether presign answers a multipart upload for this request. */
  wants(size: number | undefined, multipart: boolean | undefined): boolean {
    if (multipart !== true) return false;
    if (size === undefined) throw new DomainError('VALIDATION_FAILED', 'multipart needs size: the exact number of bytes the client will upload');
    return size >= this.config.multipart.thresholdBytes;
  }

  /** Checks the size and computes the plan before anything is reserved. */
  plan(size: number): { partSize: number; partCount: number; lastPartSize: number } {
    this.quota.assertMultipartSizeAllowed(size);
    try {
      return planMultipart(size, this.config.multipart.partFrames);
    } catch (err) {
      if (err instanceof MultipartUploadError) throw new DomainError('FILE_TOO_LARGE', `The file cannot be stored: ${err.message}`);
      throw err;
    }
  }

  /**
   * After presign reserved the file: creates the storage upload and records it with the plan.
   * Any failure fails the file again (reservation released), so nothing is left half-made; a crash
   * in between leaves an upload the abandoned-upload job finds by listing storage.
   */
  async start(
    file: { id: string; userId: string; objectKey: string; expiresAt: Date },
    plan: { partSize: number; partCount: number; lastPartSize: number },
  ): Promise<MultipartPresignResponse> {
    let uploadId: string;
    try {
      uploadId = await this.store.createMultipartUpload(file.objectKey);
    } catch (err) {
      this.logger.error(`storage could not start a multipart upload for file ${file.id}: ${(err as Error).message}`);
      await this.fail(file.userId, file.id);
      throw unavailable('The storage cannot be reached right now; presign again later');
    }
    if (!(await this.files.recordMultipart(file.userId, file.id, { uploadId, ...plan }, this.clock.now()))) {
      // The file stopped being pending meanwhile (the account was deleted): the upload is nobody's.
      await this.store.abortMultipartUpload(file.objectKey, uploadId).catch(() => undefined);
      throw notFound();
    }
    return {
      file_id: file.id,
      multipart: { part_size: plan.partSize, part_count: plan.partCount, last_part_size: plan.lastPartSize, expires_at: toRfc3339(file.expiresAt) },
    };
  }

  async partUrls(userId: string, fileId: string, partNumbers: readonly number[]): Promise<PartUrlsResponse> {
    const file = await this.pendingMultipart(userId, fileId);
    const outOfPlan = partNumbers.find((n) => n > file.partCount);
    if (outOfPlan !== undefined) {
      throw new DomainError('VALIDATION_FAILED', `part ${outOfPlan} is not in the plan: part numbers run from 1 to ${file.partCount}`);
    }
    const now = this.clock.now();
    const ttl = this.config.ttl.presignSeconds;
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    switch (await this.files.extendMultipart(userId, fileId, expiresAt, now)) {
      case 'completing':
        throw completing();
      case 'not-found':
        throw notFound();
      case 'extended':
        break;
    }
    const parts = await Promise.all(
      partNumbers.map(async (partNumber) => {
        const size = partSizeOf(file, partNumber);
        const url = await this.store.presignUploadPart(file.objectKey, file.multipartUploadId, {
          partNumber,
          contentLength: size,
          expiresInSec: ttl,
        });
        return { part_number: partNumber, url: url.url, method: 'PUT' as const, headers: url.headers, size, expires_at: toRfc3339(url.expiresAt) };
      }),
    );
    return { parts, expires_at: toRfc3339(expiresAt) };
  }

  async uploadedParts(userId: string, fileId: string): Promise<UploadedPartsResponse> {
    const file = await this.pendingMultipart(userId, fileId);
    const plan = {
      file_id: file.id,
      part_size: file.partSize,
      part_count: file.partCount,
      last_part_size: partSizeOf(file, file.partCount),
      expires_at: toRfc3339(file.uploadExpiresAt),
    };
    if (isCompleting(file, this.clock.now())) return { ...plan, state: 'completing', parts: [] };
    const parts = await this.listStoredParts(file);
    if (parts === undefined) throw notFound();
    return { ...plan, state: 'uploading', parts: parts.map((p) => ({ part_number: p.partNumber, size: p.size, etag: p.etag })) };
  }

  /**
   * Completion of a multipart file (FilesService.complete hands every multipart file here). The
   * part list is checked against the plan and then against storage before the join starts, so a
   * refusal (missing part, wrong size, other etag) leaves the upload as it was.
   */
  async complete(userId: string, file: FileRecord, input: CompletionInput): Promise<CompleteResponse | CompleteAccepted> {
    if (file.status === 'uploaded') return toCompleteResponse(file);
    if (file.status === 'failed') throw failedEarlier(file);
    const planned = asPlanned(file);
    if (!planned) throw notFound();
    const parts = input.parts;
    if (!parts) throw new DomainError('VALIDATION_FAILED', 'parts is required for a multipart upload: every part with the etag its PUT answered');
    const wrong = parts.findIndex((part, index) => part.partNumber !== index + 1);
    if (parts.length !== planned.partCount || wrong !== -1) {
      throw new DomainError('VALIDATION_FAILED', `parts must name every part from 1 to ${planned.partCount} in ascending order, each once`);
    }
    const outcome = await this.completion.run(userId, planned, input, (stored) => this.checkStoredParts(planned, parts, stored));
    return outcome === 'completing' ? { file_id: file.id, status: 'completing' } : outcome;
  }

  /** Throws the refusal for parts storage holds that are not what the plan and the client say. */
  private checkStoredParts(file: PlannedFile, named: readonly { partNumber: number; etag: string }[], stored: readonly UploadedPart[]): void {
    const byNumber = new Map(stored.map((part) => [part.partNumber, part]));
    const missing = named.filter((part) => !byNumber.has(part.partNumber)).map((part) => part.partNumber);
    if (missing.length > 0) {
      const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ` and ${missing.length - 20} more` : '');
      throw new DomainError('UPLOAD_INCOMPLETE', `Storage does not hold part ${shown} yet; upload ${missing.length === 1 ? 'it' : 'them'}, then complete again`);
    }
    for (const part of named) {
      const held = byNumber.get(part.partNumber) as UploadedPart;
      const expected = partSizeOf(file, part.partNumber);
      if (held.size !== expected) {
        throw new DomainError('PART_MISMATCH', `Part ${part.partNumber} holds ${held.size} bytes, the plan says ${expected}; upload it again, then complete again`);
      }
      if (unquoted(held.etag) !== unquoted(part.etag)) {
        throw new DomainError('PART_MISMATCH', `Part ${part.partNumber} in storage is not the one named (another etag): it was uploaded again; upload it again, then complete again`);
      }
    }
  }

  private async pendingMultipart(userId: string, fileId: string): Promise<PlannedFile> {
    const file = await this.files.findOwned(userId, fileId);
    const planned = file?.status === 'pending' ? asPlanned(file) : undefined;
    if (!planned) throw notFound();
    return planned;
  }

  /** Undefined when storage no longer has the upload. */
  private async listStoredParts(file: PlannedFile): Promise<UploadedPart[] | undefined> {
    try {
      return await this.store.listParts(file.objectKey, file.multipartUploadId);
    } catch (err) {
      if (err instanceof MultipartUploadError && err.code === 'NO_SUCH_UPLOAD') return undefined;
      this.logger.error(`storage could not list the parts of file ${file.id}: ${(err as Error).message}`);
      throw unavailable('The storage cannot be reached right now; try again later');
    }
  }

  private async fail(userId: string, fileId: string): Promise<void> {
    const ended = await this.files.endLife(userId, fileId, ['pending'], 'failed', this.clock.now());
    if (ended) await this.objects.remove(ended);
  }
}

function asPlanned(file: FileRecord): PlannedFile | undefined {
  if (file.partSize === null || file.partCount === null || file.declaredSize === null || file.multipartUploadId === null) return undefined;
  return file as PlannedFile;
}

function unquoted(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

function notFound(): DomainError {
  return new DomainError('NOT_FOUND', 'No such pending multipart upload');
}

function completing(): DomainError {
  return new DomainError('UPLOAD_COMPLETING', 'The upload is being completed; repeat complete until it answers 200');
}

function unavailable(message: string): DomainError {
  return new DomainError('SERVICE_UNAVAILABLE', message, 30);
}
