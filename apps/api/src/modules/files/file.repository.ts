import { Injectable } from '@nestjs/common';
import { File as FileRow, Prisma, PrismaClient } from '../../generated/prisma/client';
import { CompleteOutcome, LedgerRepository, Limits, PendingUpload, Release, ReserveOutcome } from '../quota/ledger.repository';
import { idPrefixRange } from './file-id';

export type FileStatus = 'pending' | 'uploaded' | 'failed' | 'deleted';
export type KeyManagementMode = 'vault' | 'passphrase';

export interface KdfParams {
  alg: 'argon2id';
  m: number;
  t: number;
  p: number;
}

/** A file as the rest of the server sees it: plain values, byte counts as numbers. */
export interface FileRecord {
  id: string;
  userId: string;
  fileName: string;
  mimeType: string;
  status: FileStatus;
  objectKey: string;
  declaredSize: number | null;
  reservedBytes: number;
  encryptedSizeBytes: number | null;
  plaintextSizeBytes: number | null;
  plaintextHash: string;
  passphraseSalt: string;
  keyManagementMode: KeyManagementMode | null;
  keyCommitment: string | null;
  kdfParams: KdfParams | null;
  sealedKey: string | null;
  encryptedMetadata: string | null;
  noncePrefix: string | null;
  /** Multipart uploads: the storage upload id (null until recorded, and for single PUTs). */
  multipartUploadId: string | null;
  /** Multipart uploads: the plan (both null for single PUTs). */
  partSize: number | null;
  partCount: number | null;
  /** A running multipart completion holds the file until then (renewed while it runs). */
  completingUntil: Date | null;
  /** Why a multipart completion failed the file (an error code), if it did. */
  failureCode: string | null;
  uploadExpiresAt: Date;
  completedAt: Date | null;
  sizeVerifiedAt: Date | null;
  deletedAt: Date | null;
  objectRemovedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Files a user sees in listings and can address by id prefix. Failed uploads stay visible (with
 * their status) until they are purged, so a client can tell a failed upload from a lost one.
 */
export const VISIBLE_STATUSES: readonly FileStatus[] = ['pending', 'uploaded', 'failed'];
/** Files that count against the file-count limit and hold a reservation or usage. */
export const LIVE_STATUSES: readonly FileStatus[] = ['pending', 'uploaded'];

/** The ledger's pending upload, named by the file's `id` as everywhere in this repository. */
export type NewPendingFile = Omit<PendingUpload, 'fileId'> & { id: string };

export type CreatePendingOutcome = ReserveOutcome;

export interface CompletedUpload {
  id: string;
  userId: string;
  sizeBytes: number;
  plaintextSizeBytes: number;
  plaintextHash: string;
  passphraseSalt: string;
  keyManagementMode: KeyManagementMode;
  keyCommitment: string | null;
  kdfParams: KdfParams | null;
  /** Account keys (absent: none). */
  sealedKey?: string | null;
  encryptedMetadata?: string | null;
  noncePrefix?: string | null;
  now: Date;
}


export type SealedKeyOutcome = 'stored' | 'same' | 'different' | 'not-found';

/** A file that just stopped being live (failed or deleted), and what it was before. */
export interface EndedFile {
  id: string;
  userId: string;
  objectKey: string;
  previousStatus: FileStatus;
  /** Its multipart upload, to abort with the object (null for single PUTs). */
  multipartUploadId: string | null;
}

export interface EndLifeOptions {
  /** Recorded with a failure: answered to a repeated multipart complete. */
  failureCode?: string;
  /** Leave the file alone while a multipart completion holds it at this time (the jobs' guard). */
  unlessCompletingAt?: Date;
}

export type ExtendOutcome = 'extended' | 'completing' | 'not-found';


/**
 * The only Prisma access for files. Every user-facing query carries the owner id; every status
 * change is one conditional statement (`WHERE status = …`) whose quota consequences the ledger
 * applies in the same transaction, so concurrent completes, deletes and cleanup jobs account for a
 * file once. The insert of a pending row and pending → uploaded are the ledger's SQL functions.
 */
@Injectable()
export class FileRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ledger: LedgerRepository,
  ) {}

  /** Reserves the declared size and a file slot, checks the global limit and inserts the row: all or nothing. */
  async createPending(file: NewPendingFile, limits: Limits): Promise<CreatePendingOutcome> {
    const { id, ...rest } = file;
    return this.ledger.reserveUpload({ fileId: id, ...rest }, limits);
  }

  /**
   * pending → uploaded with the verified size and the client's metadata, converting the
   * reservation into usage. 'not-pending' when the file is no longer the caller's pending file
   * (a concurrent complete won, or a cleanup failed it); over-quota outcomes change nothing.
   */
  async completeUpload(upload: CompletedUpload, limits: Limits): Promise<CompleteOutcome> {
    const { id, ...rest } = upload;
    return this.ledger.completeUpload({ fileId: id, ...rest }, limits);
  }

  /**
   * Moves the caller's file from one of `from` to failed or deleted and releases what it held.
   * Undefined when it was not in one of those states (someone else got there first).
   */
  async endLife(
    userId: string,
    id: string,
    from: readonly FileStatus[],
    to: 'failed' | 'deleted',
    now: Date,
    options: EndLifeOptions = {},
  ): Promise<EndedFile | undefined> {
    const failureCode = options.failureCode ?? null;
    const guard = options.unlessCompletingAt ?? null;
    return this.ledger.settle(userId, async (tx) => {
      const rows = await tx.$queryRaw<
        {
          user_id: string;
          object_key: string;
          status: FileStatus;
          reserved_bytes: bigint;
          encrypted_size_bytes: bigint | null;
          multipart_upload_id: string | null;
        }[]
      >`
        WITH old AS (
          SELECT id, user_id, status, reserved_bytes, encrypted_size_bytes FROM files
          WHERE id = ${id}::uuid AND user_id = ${userId}::uuid AND status::text IN (${Prisma.join([...from])})
            AND (${guard}::timestamptz IS NULL OR completing_until IS NULL OR completing_until <= ${guard}::timestamptz)
          FOR UPDATE
        )
        UPDATE files f SET status = ${to}::file_status, updated_at = ${now},
               deleted_at = CASE WHEN ${to} = 'deleted' THEN ${now}::timestamptz ELSE f.deleted_at END,
               failure_code = COALESCE(${failureCode}::text, f.failure_code), completing_until = NULL
        FROM old WHERE f.id = old.id
        RETURNING old.user_id::text AS user_id, f.object_key, old.status::text AS status, old.reserved_bytes, old.encrypted_size_bytes,
                  f.multipart_upload_id`;
      if (rows.length === 0) return undefined;
      const old = rows[0];
      return {
        value: { id, userId: old.user_id, objectKey: old.object_key, previousStatus: old.status, multipartUploadId: old.multipart_upload_id },
        release: releaseOf(old.status, Number(old.reserved_bytes), Number(old.encrypted_size_bytes ?? 0n)),
      };
    });
  }

  /**
   * Sets the sealed key of the caller's uploaded file if it has none, in one statement; the
   * outcome also tells an equal stored key from a different one. `now` is the row's updated_at.
   */
  async setSealedKey(userId: string, id: string, sealedKey: string, now: Date): Promise<SealedKeyOutcome> {
    const rows = await this.prisma.$queryRaw<{ stored: boolean; current: string | null; uploaded: boolean }[]>`
      WITH target AS (
        SELECT id, sealed_key FROM files WHERE id = ${id}::uuid AND user_id = ${userId}::uuid AND status = 'uploaded'
      ), updated AS (
        UPDATE files f SET sealed_key = ${sealedKey}, updated_at = ${now}
        FROM target WHERE f.id = target.id AND f.status = 'uploaded' AND f.sealed_key IS NULL
        RETURNING f.id
      )
      SELECT EXISTS (SELECT 1 FROM updated) AS stored, (SELECT sealed_key FROM target) AS current,
             EXISTS (SELECT 1 FROM target) AS uploaded`;
    const { stored, current, uploaded } = rows[0];
    if (stored) return 'stored';
    if (!uploaded) return 'not-found';
    // Null here: a concurrent writer set it after this statement's snapshot; read what it stored.
    const latest = current ?? (await this.prisma.file.findFirst({ where: { id, userId, status: 'uploaded' }, select: { sealedKey: true } }))?.sealedKey;
    if (latest === null || latest === undefined) return 'not-found';
    return latest === sealedKey ? 'same' : 'different';
  }

  // ---- multipart uploads ----

  /** Records the storage upload and its plan on the caller's pending file; false when it is no longer pending. */
  async recordMultipart(userId: string, id: string, upload: { uploadId: string; partSize: number; partCount: number }, now: Date): Promise<boolean> {
    const { count } = await this.prisma.file.updateMany({
      where: { id, userId, status: 'pending', multipartUploadId: null },
      data: { multipartUploadId: upload.uploadId, partSize: BigInt(upload.partSize), partCount: upload.partCount, updatedAt: now },
    });
    return count === 1;
  }

  /** Moves a pending multipart upload's expiry (activity keeps it from being abandoned), unless a completion holds it. */
  async extendMultipart(userId: string, id: string, expiresAt: Date, now: Date): Promise<ExtendOutcome> {
    const { count } = await this.prisma.file.updateMany({
      where: { id, userId, status: 'pending', multipartUploadId: { not: null }, OR: [{ completingUntil: null }, { completingUntil: { lte: now } }] },
      data: { uploadExpiresAt: expiresAt },
    });
    if (count === 1) return 'extended';
    const row = await this.findOwned(userId, id);
    return row?.status === 'pending' && row.multipartUploadId !== null && isCompleting(row, now) ? 'completing' : 'not-found';
  }

  /** Takes the caller's pending file for a completion until `until`; false when another completion holds it (or it is not pending). */
  async claimCompletion(userId: string, id: string, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.prisma.file.updateMany({
      where: { id, userId, status: 'pending', OR: [{ completingUntil: null }, { completingUntil: { lte: now } }] },
      data: { completingUntil: until },
    });
    return count === 1;
  }

  async renewCompletion(userId: string, id: string, until: Date): Promise<void> {
    await this.prisma.file.updateMany({ where: { id, userId, status: 'pending', completingUntil: { not: null } }, data: { completingUntil: until } });
  }

  /** Ends a completion's hold (after a refusal, a failure or the record). */
  async releaseCompletion(userId: string, id: string): Promise<void> {
    await this.prisma.file.updateMany({ where: { id, userId, completingUntil: { not: null } }, data: { completingUntil: null } });
  }

  async markObjectRemoved(userId: string, id: string, now: Date): Promise<void> {
    await this.prisma.file.updateMany({ where: { id, userId, objectRemovedAt: null }, data: { objectRemovedAt: now } });
  }

  async markSizeVerified(userId: string, id: string, now: Date): Promise<void> {
    await this.prisma.file.updateMany({ where: { id, userId, status: 'uploaded' }, data: { sizeVerifiedAt: now } });
  }

  /** The caller's file in any state but deleted. */
  async findOwned(userId: string, id: string): Promise<FileRecord | undefined> {
    const row = await this.prisma.file.findFirst({ where: { id, userId, status: { not: 'deleted' } } });
    return row ? toRecord(row) : undefined;
  }

  /** The caller's visible files, newest first. */
  async listVisible(userId: string): Promise<FileRecord[]> {
    const rows = await this.prisma.file.findMany({
      where: { userId, status: { in: [...VISIBLE_STATUSES] } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toRecord);
  }

  /**
   * The caller's visible files whose id starts with `prefix`, newest first. The prefix must
   * already be validated as `[0-9a-f-]{1,36}`: it is used in LIKE, where `%` and `_` would widen it.
   */
  async findVisibleByPrefix(userId: string, prefix: string): Promise<FileRecord[]> {
    if (!/^[0-9a-f-]{1,36}$/.test(prefix)) throw new Error('unvalidated id prefix');
    const range = idPrefixRange(prefix);
    if (!range) return [];
    // The id range lets PostgreSQL use the primary key (or the user's index, for very short
    // prefixes) rather than read every file of the user; LIKE still decides the match.
    const ids = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM files
      WHERE user_id = ${userId}::uuid AND id BETWEEN ${range.from}::uuid AND ${range.to}::uuid
        AND status::text IN (${Prisma.join([...VISIBLE_STATUSES])}) AND id::text LIKE ${`${prefix}%`}`;
    if (ids.length === 0) return [];
    const rows = await this.prisma.file.findMany({
      where: { userId, id: { in: ids.map((r) => r.id) }, status: { in: [...VISIBLE_STATUSES] } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toRecord);
  }

  /** An uploaded file by id and its full object key, which carries the owner hash: the share-link lookup. */
  async findUploadedByObjectKey(id: string, objectKey: string): Promise<FileRecord | undefined> {
    const row = await this.prisma.file.findFirst({ where: { id, objectKey, status: 'uploaded' } });
    return row ? toRecord(row) : undefined;
  }

  /** The pending file an upload URL was signed for, whoever owns it: the fs driver's upload check. */
  async findPendingByObjectKey(objectKey: string): Promise<FileRecord | undefined> {
    const row = await this.prisma.file.findFirst({ where: { objectKey, status: 'pending' } });
    return row ? toRecord(row) : undefined;
  }

  /** Every row (any status) holding one of these object keys: the reconciliation's lookup. */
  async findByObjectKeys(objectKeys: readonly string[]): Promise<FileRecord[]> {
    if (objectKeys.length === 0) return [];
    const rows = await this.prisma.file.findMany({ where: { objectKey: { in: [...objectKeys] } } });
    return rows.map(toRecord);
  }

  // ---- maintenance (service-wide, keyset-paginated by id) ----

  /** Completed files completed before `before`. */
  async findCompletedBefore(before: Date, after: string | undefined, limit: number): Promise<FileRecord[]> {
    return this.page({ status: 'uploaded', completedAt: { lt: before } }, after, limit);
  }

  /** Pending uploads whose URL expired before `before` and that no multipart completion holds at `now`. */
  async findStalePending(before: Date, after: string | undefined, limit: number, now = before): Promise<FileRecord[]> {
    return this.page(
      { status: 'pending', uploadExpiresAt: { lt: before }, OR: [{ completingUntil: null }, { completingUntil: { lte: now } }] },
      after,
      limit,
    );
  }

  /** Completed files whose size has not been re-checked since their upload URL expired. */
  async findUnverified(uploadExpiredBefore: Date, after: string | undefined, limit: number): Promise<FileRecord[]> {
    return this.page({ status: 'uploaded', sizeVerifiedAt: null, uploadExpiresAt: { lt: uploadExpiredBefore } }, after, limit);
  }

  /** Failed or deleted files whose object has not been confirmed gone. */
  async findUnremovedObjects(after: string | undefined, limit: number): Promise<FileRecord[]> {
    return this.page({ status: { in: ['failed', 'deleted'] }, objectRemovedAt: null }, after, limit);
  }

  /** Failed or deleted rows that changed before `changedBefore` and whose upload URL expired before `uploadExpiredBefore`. */
  async findPurgeable(changedBefore: Date, uploadExpiredBefore: Date, after: string | undefined, limit: number): Promise<FileRecord[]> {
    return this.page(
      { status: { in: ['failed', 'deleted'] }, updatedAt: { lt: changedBefore }, uploadExpiresAt: { lt: uploadExpiredBefore } },
      after,
      limit,
    );
  }

  /** Removes a failed or deleted row for good (its download counters go with it). */
  async purge(userId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.file.deleteMany({ where: { id, userId, status: { in: ['failed', 'deleted'] } } });
    return count === 1;
  }

  private async page(where: Prisma.FileWhereInput, after: string | undefined, limit: number): Promise<FileRecord[]> {
    const rows = await this.prisma.file.findMany({
      where: after === undefined ? where : { AND: [where, { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toRecord);
  }
}

/** Whether a multipart completion holds the file at `now`. */
export function isCompleting(file: Pick<FileRecord, 'completingUntil'>, now: Date): boolean {
  return file.completingUntil !== null && file.completingUntil.getTime() > now.getTime();
}

function releaseOf(previous: FileStatus, reservedBytes: number, encryptedSizeBytes: number): Release {
  switch (previous) {
    case 'pending':
      return { reservedBytes, usedBytes: 0, files: 1 };
    case 'uploaded':
      return { reservedBytes: 0, usedBytes: encryptedSizeBytes, files: 1 };
    default:
      // Failed files gave everything back when they failed.
      return { reservedBytes: 0, usedBytes: 0, files: 0 };
  }
}

function toRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    userId: row.userId,
    fileName: row.fileName,
    mimeType: row.mimeType,
    status: row.status,
    objectKey: row.objectKey,
    declaredSize: numberOrNull(row.declaredSize),
    reservedBytes: Number(row.reservedBytes),
    encryptedSizeBytes: numberOrNull(row.encryptedSizeBytes),
    plaintextSizeBytes: numberOrNull(row.plaintextSizeBytes),
    plaintextHash: row.plaintextHash,
    passphraseSalt: row.passphraseSalt,
    keyManagementMode: row.keyManagementMode,
    keyCommitment: row.keyCommitment,
    kdfParams: (row.kdfParams as KdfParams | null) ?? null,
    sealedKey: row.sealedKey,
    encryptedMetadata: row.encryptedMetadata,
    noncePrefix: row.noncePrefix,
    multipartUploadId: row.multipartUploadId,
    partSize: numberOrNull(row.partSize),
    partCount: row.partCount,
    completingUntil: row.completingUntil,
    failureCode: row.failureCode,
    uploadExpiresAt: row.uploadExpiresAt,
    completedAt: row.completedAt,
    sizeVerifiedAt: row.sizeVerifiedAt,
    deletedAt: row.deletedAt,
    objectRemovedAt: row.objectRemovedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function numberOrNull(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}
