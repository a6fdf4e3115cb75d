import { Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

/**
 * A transaction the files module opened; quota moves always happen inside the same transaction as
 * the file row change they account for, so a failure leaves neither behind.
 */
export type LedgerTx = Prisma.TransactionClient;

export interface UserLimits {
  quotaBytes: number;
  maxFiles: number;
}

/** What a file gives back when it stops being live: its reservation, its usage and its slot. */
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

/**
 * The byte and file counters on `users` and the service-wide `storage_usage` row. Counters move
 * up only in the SQL functions `reserve_upload` (presign) and `complete_upload` (see their
 * migrations), which check every limit under the rows' locks; this class gives back what a file
 * held and reads the totals. Lock order is always the user row, then the file row, then
 * `storage_usage`, so transactions cannot deadlock.
 */
@Injectable()
export class QuotaRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Locks the user's row for the rest of the transaction. Transactions that change a file take it
   * before the file row, to keep the lock order above.
   */
  async lockUser(tx: LedgerTx, userId: string): Promise<void> {
    await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR NO KEY UPDATE`;
  }

  /** Gives back what a file that stops being live held, on the user and service-wide. */
  async release(tx: LedgerTx, userId: string, release: Release): Promise<void> {
    if (release.reservedBytes === 0 && release.usedBytes === 0 && release.files === 0) return;
    const r = BigInt(release.reservedBytes);
    const u = BigInt(release.usedBytes);
    await tx.$executeRaw`
      UPDATE users SET reserved_bytes = reserved_bytes - ${r}::bigint, used_bytes = used_bytes - ${u}::bigint,
                       file_count = file_count - ${release.files}::int
      WHERE id = ${userId}::uuid`;
    if (r === 0n && u === 0n) return;
    await tx.$executeRaw`
      UPDATE storage_usage SET reserved_bytes = reserved_bytes - ${r}::bigint, used_bytes = used_bytes - ${u}::bigint
      WHERE id = 1`;
  }

  async usage(userId: string): Promise<UsageCounters | undefined> {
    const user = await this.prisma.user.findUnique({
      where: { id: userId },
      select: { usedBytes: true, reservedBytes: true, fileCount: true },
    });
    return user ? { usedBytes: Number(user.usedBytes), reservedBytes: Number(user.reservedBytes), fileCount: user.fileCount } : undefined;
  }
}
