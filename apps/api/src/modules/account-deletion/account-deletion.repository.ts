import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';
import { LedgerRepository } from '../quota/ledger.repository';

/** The end of an account's rows (`users` and its cascade) and the `storage_sweeps` table. */
@Injectable()
export class AccountDeletionRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ledger: LedgerRepository,
  ) {}

  /**
   * Deletes the user (files, codes and tokens by cascade), takes its bytes off the service-wide
   * totals, and schedules one more sweep of its storage prefix — all or nothing. False when the
   * account was already gone.
   */
  async deleteAccount(userId: string, sweep: { prefix: string; after: Date }): Promise<boolean> {
    const deleted = await this.ledger.settle(
      userId,
      async (tx, held) => {
        await tx.user.delete({ where: { id: userId } });
        await tx.storageSweep.upsert({
          where: { prefix: sweep.prefix },
          create: { prefix: sweep.prefix, sweepAfter: sweep.after },
          update: { sweepAfter: sweep.after },
        });
        return { value: true, release: LedgerRepository.everything(held) };
      },
      { deletesUser: true },
    );
    return deleted ?? false;
  }

  /** Prefixes whose sweep is due, oldest first. */
  async dueSweeps(now: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.storageSweep.findMany({ where: { sweepAfter: { lte: now } }, orderBy: { sweepAfter: 'asc' }, take: limit });
    return rows.map((r) => r.prefix);
  }

  async finishSweep(prefix: string): Promise<void> {
    await this.prisma.storageSweep.deleteMany({ where: { prefix } });
  }
}
