import { Inject, Injectable } from '@nestjs/common';
import { sharedObjectKey, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { FILE_ID_PATTERN } from '../files/file-id';
import { FileRecord, FileRepository } from '../files/file.repository';
import { OBJECT_STORE } from '../storage/storage.module';
import { DownloadCounterRepository } from './download-counter.repository';
import { FileMetaResponse, toFileMeta } from './downloads.dto';

const DAY_MS = 24 * 60 * 60_000;
/** Counters of the last few days are kept (today's decides; older ones are only for operators). */
export const COUNTER_RETENTION_DAYS = 3;

/**
 * The public share link `/files/download/<owner hash>/<file id>`. The link is the capability: the
 * file is looked up by its id *and* its owner's hash, and only that file's object is ever signed.
 */
@Injectable()
export class DownloadsService {
  constructor(
    private readonly files: FileRepository,
    private readonly counters: DownloadCounterRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one download against the file's daily limit and returns a short-lived signed GET URL. */
  async downloadUrl(ownerHash: string, fileId: string): Promise<string> {
    const file = await this.sharedFile(ownerHash, fileId);
    const now = this.clock.now();
    const limit = this.config.limits.dailyDownloadLimit;
    const counted = await this.counters.countOne(file.id, utcDay(now), limit);
    if (counted === undefined) {
      // Nothing counted: the limit was reached, or the file stopped being uploaded just now.
      if ((await this.counters.countOn(file.id, utcDay(now))) >= limit) throw limitReached(limit, now);
      throw notFound();
    }
    const signed = await this.store.presignGet(file.objectKey, {
      expiresInSec: this.config.ttl.downloadUrlSeconds,
      filename: file.fileName,
    });
    return signed.url;
  }

  /** HEAD of a link: says whether a download would be allowed, without counting or signing anything. */
  async checkLink(ownerHash: string, fileId: string): Promise<void> {
    const file = await this.sharedFile(ownerHash, fileId);
    const now = this.clock.now();
    const limit = this.config.limits.dailyDownloadLimit;
    if ((await this.counters.countOn(file.id, utcDay(now))) >= limit) throw limitReached(limit, now);
  }

  async meta(ownerHash: string, fileId: string): Promise<FileMetaResponse> {
    return toFileMeta(await this.sharedFile(ownerHash, fileId));
  }

  /** Drops counters older than the retention; returns how many. */
  async pruneCounters(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - COUNTER_RETENTION_DAYS * DAY_MS);
    return this.counters.pruneBefore(utcDay(cutoff));
  }

  private async sharedFile(ownerHash: string, fileId: string): Promise<FileRecord> {
    const objectKey = FILE_ID_PATTERN.test(fileId) ? sharedObjectKey(ownerHash, fileId) : undefined;
    if (!objectKey) throw notFound();
    const file = await this.files.findUploadedByObjectKey(fileId, objectKey);
    if (!file) throw notFound();
    return file;
  }
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function limitReached(limit: number, now: Date): DomainError {
  const nextMidnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const retryAfter = Math.max(1, Math.ceil((nextMidnight - now.getTime()) / 1000));
  return new DomainError('DOWNLOAD_LIMIT', `This file has been downloaded ${limit} times today, the daily limit; try again after midnight UTC`, retryAfter);
}

function notFound(): DomainError {
  return new DomainError('NOT_FOUND', 'No such file');
}
