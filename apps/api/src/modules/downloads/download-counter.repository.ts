import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';

/** Per-file, per-UTC-day download counts. `day` is `YYYY-MM-DD`. */
@Injectable()
export class DownloadCounterRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Counts one download of an uploaded file if the day's count is still under `limit`, in one
   * statement, so concurrent requests can never exceed it. Returns the new count, or undefined
   * when nothing was counted (limit reached, or the file is no longer uploaded).
   */
  async countOne(fileId: string, day: string, limit: number): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<{ count: number }[]>`
      INSERT INTO download_counters (file_id, day, count)
      SELECT id, ${day}::date, 1 FROM files WHERE id = ${fileId}::uuid AND status = 'uploaded'
      ON CONFLICT (file_id, day) DO UPDATE SET count = download_counters.count + 1
      WHERE download_counters.count < ${limit}::int
      RETURNING count`;
    return rows[0]?.count;
  }

  /** Downloads of the file counted on `day`. */
  async countOn(fileId: string, day: string): Promise<number> {
    const row = await this.prisma.downloadCounter.findUnique({
      where: { fileId_day: { fileId, day: new Date(`${day}T00:00:00Z`) } },
      select: { count: true },
    });
    return row?.count ?? 0;
  }

  /** Drops the counters of days before `day`; returns how many. */
  async pruneBefore(day: string): Promise<number> {
    const { count } = await this.prisma.downloadCounter.deleteMany({ where: { day: { lt: new Date(`${day}T00:00:00Z`) } } });
    return count;
  }
}
