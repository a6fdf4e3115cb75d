import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

/** A transaction the ledger opened (see `LedgerRepository.settle`). */
export type LedgerTx = Prisma.TransactionClient;

export interface UserLimits {
  quotaBytes: number;
  maxFiles: number;
}

export interface Limits {
  user: UserLimits;
  /** 0: unlimited (the totals are kept all the same). */
  globalQuotaBytes: number;
}

/** What a file (or a whole account) gives back when it stops being live. */
export interface Release {
  reservedBytes: number;
  usedBytes: number;
  files: number;
}

export interface UsageCounters {
  usedBytes: number;
  reservedBytes: number;
  fileCount: number;
}

/** The outcome of a change made under the ledger's locks, and what it releases. */
export interface Settlement<T> {
  value: T;
  release: Release;
}

export interface PendingUpload {
  fileId: string;
  userId: string;
  fileName: string;
  mimeType: string;
  objectKey: string;
  /** Bytes the client promised to PUT; reserved now. Undefined: reserve nothing until complete. */
  declaredSize?: number;
  uploadExpiresAt: Date;
  now: Date;
}

export type ReserveOutcome = 'created' | 'over-quota' | 'file-count' | 'storage-full';

export interface UploadCompletion {
  fileId: string;
  userId: string;
  sizeBytes: number;
  plaintextSizeBytes: number;
  plaintextHash: string;
  passphraseSalt: string;
  keyManagementMode: 'vault' | 'passphrase';
  keyCommitment: string | null;
  kdfParams: object | null;
  /** Account keys (absent: none). */
  sealedKey?: string | null;
  encryptedMetadata?: string | null;
  noncePrefix?: string | null;
  now: Date;
}

export type CompleteOutcome = 'completed' | 'not-pending' | 'over-quota' | 'storage-full';

const NOTHING: Release = { reservedBytes: 0, usedBytes: 0, files: 0 };
const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

/**
 * The upload ledger: the byte and file counters on `users` (`used_bytes`, `reserved_bytes`,
 * `file_count`) and the service-wide `storage_usage` row. This class is the only code that writes
 * them; the database refuses a negative counter (CHECK constraints).
 *
 * Invariants, for every user: `used_bytes` is the sum of `encrypted_size_bytes` of its uploaded
 * files, `reserved_bytes` the sum of `reserved_bytes` of its pending files, `file_count` the
 * number of its pending and uploaded files; `storage_usage` holds the sums over all users.
 *
 * Lock order (see `settle`): the user's row, then file rows, then `storage_usage`. Counters move
 * up only in the SQL functions `reserve_upload` and `complete_upload`, which take the same order.
 */
@Injectable()
export class LedgerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Presign: reserves the declared size and a file slot, checks the global limit and inserts the
   * pending file row, all or nothing, in one statement (one round trip on the hottest write path).
   */
  async reserveUpload(upload: PendingUpload, limits: Limits): Promise<ReserveOutcome> {
    const declared = upload.declaredSize === undefined ? null : BigInt(upload.declaredSize);
    const rows = await this.prisma.$queryRaw<{ outcome: ReserveOutcome }[]>`
      SELECT reserve_upload(
        p_user_id => ${upload.userId}::uuid,
        p_bytes => ${declared ?? 0n}::bigint,
        p_quota_bytes => ${BigInt(limits.user.quotaBytes)}::bigint,
        p_max_files => ${limits.user.maxFiles}::int,
        p_global_limit_bytes => ${BigInt(limits.globalQuotaBytes)}::bigint,
        p_file_id => ${upload.fileId}::uuid,
        p_file_name => ${upload.fileName},
        p_mime_type => ${upload.mimeType},
        p_object_key => ${upload.objectKey},
        p_declared_size => ${declared}::bigint,
        p_upload_expires_at => ${upload.uploadExpiresAt}::timestamptz,
        p_now => ${upload.now}::timestamptz
      ) AS outcome`;
    return rows[0].outcome;
  }

  /**
   * Complete: pending → uploaded with the verified size and the client's metadata, the
   * reservation turned into usage, in one statement. Refused outcomes change nothing.
   */
  async completeUpload(upload: UploadCompletion, limits: Limits): Promise<CompleteOutcome> {
    const rows = await this.prisma.$queryRaw<{ outcome: CompleteOutcome }[]>`
      SELECT complete_upload(
        p_file_id => ${upload.fileId}::uuid,
        p_user_id => ${upload.userId}::uuid,
        p_size => ${BigInt(upload.sizeBytes)}::bigint,
        p_plaintext_size => ${BigInt(upload.plaintextSizeBytes)}::bigint,
        p_plaintext_hash => ${upload.plaintextHash},
        p_passphrase_salt => ${upload.passphraseSalt},
        p_key_management_mode => ${upload.keyManagementMode}::key_management_mode,
        p_key_commitment => ${upload.keyCommitment},
        p_kdf_params => ${upload.kdfParams === null ? null : JSON.stringify(upload.kdfParams)}::jsonb,
        p_quota_bytes => ${BigInt(limits.user.quotaBytes)}::bigint,
        p_global_limit_bytes => ${BigInt(limits.globalQuotaBytes)}::bigint,
        p_now => ${upload.now}::timestamptz,
        p_sealed_key => ${upload.sealedKey ?? null}::text,
        p_encrypted_metadata => ${upload.encryptedMetadata ?? null}::text,
        p_nonce_prefix => ${upload.noncePrefix ?? null}::text
      ) AS outcome`;
    return rows[0].outcome;
  }

  /**
   * THE LOCK ORDER of the ledger, written once. Runs `change` in one transaction:
   *   1. the user's row is locked (and its counters read); no such user: nothing runs, undefined;
   *   2. `change` locks and changes file rows (or deletes the user, its files going by cascade)
   *      and says what that releases;
   *   3. the release is applied: the user's counters (row already held), then `storage_usage`.
   * Every TypeScript transaction that gives counters back goes through here, and the SQL
   * functions take the same order, so two ledger transactions can never deadlock. `deletesUser`
   * takes the row lock strong enough for a DELETE up front (upgrading it later could deadlock
   * with a concurrent foreign-key check).
   */
  async settle<T>(
    userId: string,
    change: (tx: LedgerTx, held: UsageCounters) => Promise<Settlement<T> | undefined>,
    options: { deletesUser?: boolean } = {},
  ): Promise<T | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const held = await lockUser(tx, userId, options.deletesUser ?? false);
      if (!held) return undefined;
      const settled = await change(tx, held);
      if (!settled) return undefined;
      await applyRelease(tx, userId, settled.release);
      return settled.value;
    }, TX_OPTIONS);
  }

  /** Everything an account holds: what its deletion releases. */
  static everything(held: UsageCounters): Release {
    return { reservedBytes: held.reservedBytes, usedBytes: held.usedBytes, files: held.fileCount };
  }

  /** Re-creates the service-wide row after the development reset emptied every table. */
  async seedTotals(tx: LedgerTx): Promise<void> {
    await tx.$executeRaw`INSERT INTO storage_usage (id, used_bytes, reserved_bytes) VALUES (1, 0, 0)`;
  }

  async usage(userId: string): Promise<UsageCounters | undefined> {
    const user = await this.prisma.user.findUnique({
      where: { id: userId },
      select: { usedBytes: true, reservedBytes: true, fileCount: true },
    });
    return user ? { usedBytes: Number(user.usedBytes), reservedBytes: Number(user.reservedBytes), fileCount: user.fileCount } : undefined;
  }

  /** The service-wide totals. */
  async totals(): Promise<Omit<UsageCounters, 'fileCount'>> {
    const row = await this.prisma.storageUsage.findUniqueOrThrow({ where: { id: 1 } });
    return { usedBytes: Number(row.usedBytes), reservedBytes: Number(row.reservedBytes) };
  }
}

async function lockUser(tx: LedgerTx, userId: string, forDelete: boolean): Promise<UsageCounters | undefined> {
  const rows = forDelete
    ? await tx.$queryRaw<{ used_bytes: bigint; reserved_bytes: bigint; file_count: number }[]>`
        SELECT used_bytes, reserved_bytes, file_count FROM users WHERE id = ${userId}::uuid FOR UPDATE`
    : await tx.$queryRaw<{ used_bytes: bigint; reserved_bytes: bigint; file_count: number }[]>`
        SELECT used_bytes, reserved_bytes, file_count FROM users WHERE id = ${userId}::uuid FOR NO KEY UPDATE`;
  if (rows.length === 0) return undefined;
  return { usedBytes: Number(rows[0].used_bytes), reservedBytes: Number(rows[0].reserved_bytes), fileCount: rows[0].file_count };
}

async function applyRelease(tx: LedgerTx, userId: string, release: Release): Promise<void> {
  if (release.reservedBytes === NOTHING.reservedBytes && release.usedBytes === NOTHING.usedBytes && release.files === NOTHING.files) return;
  const r = BigInt(release.reservedBytes);
  const u = BigInt(release.usedBytes);
  // After an account deletion the row is gone and this matches nothing; the totals still move.
  await tx.$executeRaw`
    UPDATE users SET reserved_bytes = reserved_bytes - ${r}::bigint, used_bytes = used_bytes - ${u}::bigint,
                     file_count = file_count - ${release.files}::int
    WHERE id = ${userId}::uuid`;
  if (r === 0n && u === 0n) return;
  await tx.$executeRaw`
    UPDATE storage_usage SET reserved_bytes = reserved_bytes - ${r}::bigint, used_bytes = used_bytes - ${u}::bigint
    WHERE id = 1`;
}
