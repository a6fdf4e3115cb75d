import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';
import { LedgerRepository } from '../quota/ledger.repository';

@Injectable()
export class AdminRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ledger: LedgerRepository,
  ) {}

  /**
   * Empties every application table (whatever modules exist now or later; only the migration
   * history stays) and re-seeds the service-wide usage row, in one transaction.
   */
  async wipeAllTables(): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const tables = (
        await tx.$queryRaw<{ tablename: string }[]>`
          SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY tablename`
      ).map((t) => t.tablename);
      if (tables.length > 0) {
        const list = tables.map((t) => `"${t.replace(/"/g, '""')}"`).join(', ');
        await tx.$executeRawUnsafe(`TRUNCATE TABLE ${list} RESTART IDENTITY CASCADE`);
      }
      await this.ledger.seedTotals(tx);
      return tables;
    });
  }
}
