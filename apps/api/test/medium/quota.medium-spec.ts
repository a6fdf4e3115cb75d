import { randomUUID } from 'node:crypto';
import { CompletedUpload, FileRepository } from '../../src/modules/files/file.repository';
import { AccountDeletionRepository } from '../../src/modules/account-deletion/account-deletion.repository';
import { LedgerRepository, Limits } from '../../src/modules/quota/ledger.repository';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

describeWithPostgres('quota accounting on real PostgreSQL', () => {
  const db = useMediumDatabase();
  let files: FileRepository;
  let ledger: LedgerRepository;

  beforeAll(() => {
    ledger = new LedgerRepository(db.prisma);
    files = new FileRepository(db.prisma, ledger);
  });

  const limits = (over: Partial<{ quotaBytes: number; maxFiles: number; globalQuotaBytes: number }> = {}): Limits => ({
    user: { quotaBytes: over.quotaBytes ?? 1000, maxFiles: over.maxFiles ?? 100 },
    globalQuotaBytes: over.globalQuotaBytes ?? 0,
  });

  async function newUser(): Promise<string> {
    const user = await db.prisma.user.create({ data: { email: `${randomUUID()}@example.com`, passwordHash: 'x', verifiedAt: new Date() } });
    return user.id;
  }

  function pending(userId: string, declaredSize?: number) {
    const id = randomUUID();
    const now = new Date();
    return {
      id,
      userId,
      fileName: 'f',
      mimeType: 'x/y',
      objectKey: `usrh-${userId.replace(/-/g, '')}/${id}`,
      declaredSize,
      uploadExpiresAt: new Date(now.getTime() + 900_000),
      now,
    };
  }

  function upload(userId: string, id: string, sizeBytes: number): CompletedUpload {
    return {
      id,
      userId,
      sizeBytes,
      plaintextSizeBytes: 0,
      plaintextHash: '',
      passphraseSalt: '',
      keyManagementMode: 'vault',
      keyCommitment: null,
      kdfParams: null,
      now: new Date(),
    };
  }

  async function counters(userId: string) {
    const user = await db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    return { used: Number(user.usedBytes), reserved: Number(user.reservedBytes), files: user.fileCount };
  }

  async function globalCounters() {
    const row = await db.prisma.storageUsage.findUniqueOrThrow({ where: { id: 1 } });
    return { used: Number(row.usedBytes), reserved: Number(row.reservedBytes) };
  }

  it('20 concurrent reservations that together exceed the quota never exceed it', async () => {
    const userId = await newUser();
    const globalBefore = await globalCounters();

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => files.createPending(pending(userId, 150), limits())));

    expect(outcomes.filter((o) => o === 'created')).toHaveLength(6);
    expect(outcomes.filter((o) => o === 'over-quota')).toHaveLength(14);
    expect(await counters(userId)).toEqual({ used: 0, reserved: 900, files: 6 });
    expect(await db.prisma.file.count({ where: { userId } })).toBe(6);
    expect((await globalCounters()).reserved - globalBefore.reserved).toBe(900);
  });

  it('tells the file-count limit apart from the byte quota', async () => {
    const userId = await newUser();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => files.createPending(pending(userId), limits({ maxFiles: 3 }))));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'file-count')).toHaveLength(7);
    expect(await counters(userId)).toEqual({ used: 0, reserved: 0, files: 3 });
  });

  it('holds the global limit across users, and a refused reservation leaves nothing behind', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
    const { used, reserved } = await globalCounters();
    const globalQuotaBytes = used + reserved + 1000;

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => files.createPending(pending(users[i % 5], 150), limits({ quotaBytes: 10_000, globalQuotaBytes }))),
    );

    expect(outcomes.filter((o) => o === 'created')).toHaveLength(6);
    expect(outcomes.filter((o) => o === 'storage-full')).toHaveLength(14);
    expect((await globalCounters()).reserved - reserved).toBe(900);
    const perUser = await Promise.all(users.map(counters));
    expect(perUser.reduce((s, c) => s + c.reserved, 0)).toBe(900);
    expect(perUser.reduce((s, c) => s + c.files, 0)).toBe(6);
    expect(await db.prisma.file.count({ where: { userId: { in: users } } })).toBe(6);
  });

  it('completes a file once under concurrent completes, converting its reservation into usage', async () => {
    const userId = await newUser();
    const file = pending(userId, 500);
    await files.createPending(file, limits());

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => files.completeUpload(upload(userId, file.id, 480), limits())));

    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'not-pending')).toHaveLength(9);
    expect(await counters(userId)).toEqual({ used: 480, reserved: 0, files: 1 });
  });

  it('concurrent completes of undeclared uploads never push usage over the quota', async () => {
    const userId = await newUser();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const file = pending(userId);
      await files.createPending(file, limits());
      ids.push(file.id);
    }

    const outcomes = await Promise.all(ids.map((id) => files.completeUpload(upload(userId, id, 300), limits())));

    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'over-quota')).toHaveLength(7);
    expect(await counters(userId)).toEqual({ used: 900, reserved: 0, files: 10 });
    // Refused completes changed nothing: those files are still pending.
    expect(await db.prisma.file.count({ where: { id: { in: ids }, status: 'pending' } })).toBe(7);
  });

  it('refuses a complete past the global limit and changes nothing; a size within the reservation needs no check', async () => {
    const userId = await newUser();
    const { used, reserved } = await globalCounters();
    const globalQuotaBytes = used + reserved + 500;
    const undeclared = pending(userId);
    const declared = pending(userId, 400);
    await files.createPending(undeclared, limits({ globalQuotaBytes }));
    await files.createPending(declared, limits({ globalQuotaBytes }));

    // 400 reserved + 200 more would pass the limit by 100.
    expect(await files.completeUpload(upload(userId, undeclared.id, 200), limits({ globalQuotaBytes }))).toBe('storage-full');
    expect(await counters(userId)).toEqual({ used: 0, reserved: 400, files: 2 });
    expect(await globalCounters()).toEqual({ used, reserved: reserved + 400 });
    expect(await db.prisma.file.findUniqueOrThrow({ where: { id: undeclared.id } })).toMatchObject({ status: 'pending', encryptedSizeBytes: null });

    // Smaller than declared: no check, usage is the verified size.
    expect(await files.completeUpload(upload(userId, declared.id, 350), limits({ globalQuotaBytes: 1 }))).toBe('completed');
    expect(await counters(userId)).toEqual({ used: 350, reserved: 0, files: 2 });
    expect(await globalCounters()).toEqual({ used: used + 350, reserved });
  });

  it('releases a file once when a delete races with a clean-up job', async () => {
    const userId = await newUser();
    const file = pending(userId, 200);
    await files.createPending(file, limits());
    await files.completeUpload(upload(userId, file.id, 200), limits());
    const now = new Date();

    const ended = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0 ? files.endLife(userId, file.id, ['pending', 'uploaded', 'failed'], 'deleted', now) : files.endLife(userId, file.id, ['uploaded'], 'failed', now),
      ),
    );

    // Exactly one transition leaves 'uploaded' (and releases); a delete may still follow a failure.
    const transitions = ended.filter((e) => e !== undefined);
    expect(transitions.filter((e) => e.previousStatus === 'uploaded')).toHaveLength(1);
    expect(transitions.filter((e) => e.previousStatus === 'failed').length).toBeLessThanOrEqual(1);
    expect(await counters(userId)).toEqual({ used: 0, reserved: 0, files: 0 });
  });

  it("only ever touches the owner's file", async () => {
    const owner = await newUser();
    const other = await newUser();
    const file = pending(owner, 10);
    await files.createPending(file, limits());

    expect(await files.completeUpload(upload(other, file.id, 10), limits())).toBe('not-pending');
    expect(await files.endLife(other, file.id, ['pending'], 'deleted', new Date())).toBeUndefined();
    expect(await files.findOwned(other, file.id)).toBeUndefined();
    expect(await files.findVisibleByPrefix(other, file.id.slice(0, 4))).toEqual([]);
    expect(await counters(owner)).toEqual({ used: 0, reserved: 10, files: 1 });
  });

  it('refuses, through the CHECK constraints, a release of more than a user or the service holds, and changes nothing', async () => {
    const userId = await newUser();
    const file = pending(userId, 100);
    await files.createPending(file, limits());
    const before = await globalCounters();
    const overRelease = (release: { reservedBytes: number; usedBytes: number; files: number }) =>
      ledger.settle(userId, async () => ({ value: true, release }));

    await expect(overRelease({ reservedBytes: 101, usedBytes: 0, files: 0 })).rejects.toThrow(/users_reserved_bytes_non_negative/);
    await expect(overRelease({ reservedBytes: 0, usedBytes: 1, files: 0 })).rejects.toThrow(/users_used_bytes_non_negative/);
    await expect(overRelease({ reservedBytes: 0, usedBytes: 0, files: 2 })).rejects.toThrow(/users_file_count_non_negative/);
    await expect(db.prisma.storageUsage.update({ where: { id: 1 }, data: { usedBytes: -1n } })).rejects.toThrow(/storage_usage_used_bytes_non_negative/);

    expect(await counters(userId)).toEqual({ used: 0, reserved: 100, files: 1 });
    expect(await globalCounters()).toEqual(before);
    expect(await ledger.settle(userId, async () => ({ value: 'released', release: { reservedBytes: 100, usedBytes: 0, files: 1 } }))).toBe('released');
    expect(await counters(userId)).toEqual({ used: 0, reserved: 0, files: 0 });
    expect(await globalCounters()).toEqual({ used: before.used, reserved: before.reserved - 100 });
  });

  it('runs nothing for a user that does not exist', async () => {
    const change = jest.fn();
    expect(await ledger.settle(randomUUID(), change)).toBeUndefined();
    expect(change).not.toHaveBeenCalled();
  });

  it('lets an account deletion race with file changes without deadlocks or drift in the totals', async () => {
    const userId = await newUser();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const file = pending(userId, 10);
      await files.createPending(file, limits());
      if (i % 2 === 0) await files.completeUpload(upload(userId, file.id, 10), limits());
      ids.push(file.id);
    }
    const totalsOfOthers = async () => {
      const sum = await db.prisma.user.aggregate({ _sum: { usedBytes: true, reservedBytes: true } });
      return { used: Number(sum._sum.usedBytes ?? 0n), reserved: Number(sum._sum.reservedBytes ?? 0n) };
    };
    expect(await globalCounters()).toEqual(await totalsOfOthers());

    const deletions = new AccountDeletionRepository(db.prisma, ledger);
    const deleteAccount = () => deletions.deleteAccount(userId, { prefix: `usrh-${userId.replace(/-/g, '')}/`, after: new Date() });
    const now = new Date();
    const results = await Promise.allSettled([
      ...ids.slice(0, 6).map((id) => files.endLife(userId, id, ['pending', 'uploaded'], 'deleted', now)),
      deleteAccount(),
      ...ids.slice(6).map((id) => files.completeUpload(upload(userId, id, 10), limits())),
    ]);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await db.prisma.user.count({ where: { id: userId } })).toBe(0);
    expect(await globalCounters()).toEqual(await totalsOfOthers());
  });
});
