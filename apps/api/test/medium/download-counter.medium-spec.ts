import { randomUUID } from 'node:crypto';
import { DownloadCounterRepository } from '../../src/modules/downloads/download-counter.repository';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

describeWithPostgres('download counters on real PostgreSQL', () => {
  const db = useMediumDatabase();
  let counters: DownloadCounterRepository;
  let userId: string;

  beforeAll(async () => {
    counters = new DownloadCounterRepository(db.prisma);
    userId = (await db.prisma.user.create({ data: { email: 'd@example.com', passwordHash: 'x' } })).id;
  });

  async function newFile(status: 'pending' | 'uploaded' | 'deleted' = 'uploaded'): Promise<string> {
    const id = randomUUID();
    await db.prisma.file.create({
      data: { id, userId, fileName: 'f', mimeType: 'x', status, objectKey: `usrh-x/${id}`, uploadExpiresAt: new Date() },
    });
    return id;
  }

  it('counts 50 concurrent downloads up to the limit and never beyond', async () => {
    const fileId = await newFile();

    const results = await Promise.all(Array.from({ length: 50 }, () => counters.countOne(fileId, '2026-03-01', 3)));

    expect(results.filter((r) => r !== undefined).sort()).toEqual([1, 2, 3]);
    expect(await counters.countOn(fileId, '2026-03-01')).toBe(3);
  });

  it('counts each UTC day separately', async () => {
    const fileId = await newFile();
    for (let i = 0; i < 3; i++) await counters.countOne(fileId, '2026-03-01', 3);
    expect(await counters.countOne(fileId, '2026-03-01', 3)).toBeUndefined();
    expect(await counters.countOne(fileId, '2026-03-02', 3)).toBe(1);
  });

  it('counts nothing for a file that is not uploaded', async () => {
    const pending = await newFile('pending');
    const deleted = await newFile('deleted');
    expect(await counters.countOne(pending, '2026-03-01', 3)).toBeUndefined();
    expect(await counters.countOne(deleted, '2026-03-01', 3)).toBeUndefined();
    expect(await counters.countOne(randomUUID(), '2026-03-01', 3)).toBeUndefined();
    expect(await db.prisma.downloadCounter.count({ where: { fileId: { in: [pending, deleted] } } })).toBe(0);
  });

  it('prunes the days before a given day', async () => {
    const fileId = await newFile();
    await counters.countOne(fileId, '2026-01-01', 3);
    await counters.countOne(fileId, '2026-01-02', 3);
    await counters.countOne(fileId, '2026-01-03', 3);

    await counters.pruneBefore('2026-01-03');

    expect(await counters.countOn(fileId, '2026-01-01')).toBe(0);
    expect(await counters.countOn(fileId, '2026-01-02')).toBe(0);
    expect(await counters.countOn(fileId, '2026-01-03')).toBe(1);
  });
});
