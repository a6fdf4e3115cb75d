import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type * as wire from '@coffer/contract';
import { sharedObjectKey, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { FILE_ID_PATTERN } from '../files/file-id';
import { FileRecord, FileRepository } from '../files/file.repository';
import { OBJECT_STORE } from '../storage/storage.module';
import { DownloadCounterRepository } from './download-counter.repository';
import { DownloadSessionRepository } from './download-session.repository';
import { FileMetaResponse, toFileMeta } from './downloads.dto';

const DAY_MS = 24 * 60 * 60_000;
/** Counters of the last few days are kept (today's decides; older ones are only for operators). */
export const COUNTER_RETENTION_DAYS = 3;
/**
 * How long one counted download may go on fetching ranges and resuming: a day covers a 100 GB file
 * over a slow link, a night's interruption, and no more.
 */
export const DOWNLOAD_SESSION_SECONDS = 24 * 60 * 60;
const SESSION_TOKEN_BYTES = 32;

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
    private readonly sessions: DownloadSessionRepository,
  ) {}

  /** Counts one download against the file's daily limit and returns a short-lived signed GET URL. */
  async downloadUrl(ownerHash: string, fileId: string): Promise<string> {
    const file = await this.sharedFile(ownerHash, fileId);
    await this.countDownload(file);
    const signed = await this.store.presignGet(file.objectKey, {
      expiresInSec: this.config.ttl.downloadUrlSeconds,
      filename: file.fileName,
    });
    return signed.url;
  }

  /**
   * Counts one download, like the link itself, and opens a session for it: the token it returns
   * exchanges for fresh signed URLs of this file (`sessionUrl`) without counting again.
   */
  async startSession(ownerHash: string, fileId: string): Promise<wire.DownloadSessionResponse> {
    const file = await this.sharedFile(ownerHash, fileId);
    await this.countDownload(file);
    const token = randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + DOWNLOAD_SESSION_SECONDS * 1000);
    await this.sessions.create(tokenHash(token), file.id, expiresAt);
    const signed = await this.signedGet(file, expiresAt);
    return { session: token, expires_at: expiresAt.toISOString(), url: signed.url, url_expires_at: signed.expiresAt.toISOString(), size: file.encryptedSizeBytes ?? 0 };
  }

  /** A fresh signed URL for a session of this very file that has not expired; counts nothing. */
  async sessionUrl(ownerHash: string, fileId: string, token: string): Promise<wire.DownloadSessionUrlResponse> {
    const file = await this.sharedFile(ownerHash, fileId);
    // Looked up by the token's hash: a match proves knowledge of the token, no compare of secrets.
    const session = await this.sessions.findByTokenHash(tokenHash(token));
    if (!session || session.fileId !== file.id || session.expiresAt <= this.clock.now()) throw sessionInvalid();
    const signed = await this.signedGet(file, session.expiresAt);
    return { url: signed.url, url_expires_at: signed.expiresAt.toISOString(), expires_at: session.expiresAt.toISOString() };
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

  /** Drops expired download sessions; returns how many. */
  pruneSessions(): Promise<number> {
    return this.sessions.pruneExpired(this.clock.now());
  }

  /** Drops counters older than the retention; returns how many. */
  async pruneCounters(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - COUNTER_RETENTION_DAYS * DAY_MS);
    return this.counters.pruneBefore(utcDay(cutoff));
  }

  private async countDownload(file: FileRecord): Promise<void> {
    const now = this.clock.now();
    const limit = this.config.limits.dailyDownloadLimit;
    const counted = await this.counters.countOne(file.id, utcDay(now), limit);
    if (counted === undefined) {
      // Nothing counted: the limit was reached, or the file stopped being uploaded just now.
      if ((await this.counters.countOn(file.id, utcDay(now))) >= limit) throw limitReached(limit, now);
      throw notFound();
    }
  }

  /** A signed GET that outlives neither the configured URL lifetime nor the session. */
  private signedGet(file: FileRecord, sessionEnd: Date) {
    // Whole seconds with one to spare: the fs driver's expiry is a whole second of its own clock,
    // read a moment later (rounding up here let the URL outlive the session by up to a second).
    const left = Math.floor((sessionEnd.getTime() - this.clock.now().getTime()) / 1000) - 1;
    return this.store.presignGet(file.objectKey, {
      expiresInSec: Math.max(1, Math.min(this.config.ttl.downloadUrlSeconds, left)),
      filename: file.fileName,
    });
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

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function sessionInvalid(): DomainError {
  // The same answer as for a missing file: a session is part of the link, and whether a token
  // ever existed, expired or belongs to another file is nobody else's business.
  return new DomainError('NOT_FOUND', 'No such download session: it expired, or belongs to another file; start a new download');
}

function notFound(): DomainError {
  return new DomainError('NOT_FOUND', 'No such file');
}
