import { randomUUID } from 'node:crypto';
import { AccountDeletionRepository } from '../../src/modules/account-deletion/account-deletion.repository';
import { AccountRepository } from '../../src/modules/auth/account.repository';
import { FileRepository } from '../../src/modules/files/file.repository';
import { OtpRepository } from '../../src/modules/otp/otp.repository';
import { OtpService } from '../../src/modules/otp/otp.service';
import { LedgerRepository } from '../../src/modules/quota/ledger.repository';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { useMediumDatabase } from '../../../../test/helpers/medium-database';

describe('AccountDeletionRepository on PostgreSQL', () => {
  const db = useMediumDatabase();
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  const limits = { user: { quotaBytes: 10_000, maxFiles: 100 }, globalQuotaBytes: 0 };
  let deletions: AccountDeletionRepository;
  let ledger: LedgerRepository;
  let files: FileRepository;
  let accounts: AccountRepository;
  let otp: OtpService;

  beforeAll(() => {
    const codes = new OtpRepository(db.prisma);
    ledger = new LedgerRepository(db.prisma);
    files = new FileRepository(db.prisma, ledger);
    deletions = new AccountDeletionRepository(db.prisma, ledger);
    accounts = new AccountRepository(db.prisma, codes);
    otp = new OtpService(codes, clock, db.config());
  });

  /** An account holding 1000 used and 24 reserved bytes in two files, put there by the real upload path. */
  async function accountWithFiles(): Promise<string> {
    const saved = await accounts.savePendingRegistration({ email: `${randomUUID()}@example.com`, passwordHash: 'h', now: clock.now() }, (id) => otp.record(id, '111111'));
    const userId = saved!.account.id;
    const file = (size: number) => {
      const id = randomUUID();
      return { id, userId, fileName: 'f', mimeType: 'x/y', objectKey: `usrh-${userId.replace(/-/g, '')}/${id}`, declaredSize: size, uploadExpiresAt: clock.now(), now: clock.now() };
    };
    const uploaded = file(1000);
    expect(await files.createPending(uploaded, limits)).toBe('created');
    expect(await files.createPending(file(24), limits)).toBe('created');
    const completion = { id: uploaded.id, userId, sizeBytes: 1000, plaintextSizeBytes: 968, plaintextHash: '', passphraseSalt: '', keyManagementMode: 'vault' as const, keyCommitment: null, kdfParams: null, now: clock.now() };
    expect(await files.completeUpload(completion, limits)).toBe('completed');
    expect(await ledger.usage(userId)).toEqual({ usedBytes: 1000, reservedBytes: 24, fileCount: 2 });
    return userId;
  }

  it('deletes the row with its dependants, takes its bytes off the service totals and schedules the sweep, once', async () => {
    const userId = await accountWithFiles();
    const before = await ledger.totals();

    const sweep = { prefix: 'usrh-0123/', after: new Date(clock.now().getTime() + 3600_000) };
    expect(await deletions.deleteAccount(userId, sweep)).toBe(true);
    expect(await deletions.deleteAccount(userId, sweep)).toBe(false);

    expect(await db.prisma.user.count({ where: { id: userId } })).toBe(0);
    expect(await db.prisma.otpCode.count({ where: { userId } })).toBe(0);
    expect(await db.prisma.file.count({ where: { userId } })).toBe(0);
    expect(await ledger.totals()).toEqual({ usedBytes: before.usedBytes - 1000, reservedBytes: before.reservedBytes - 24 });
    expect(await deletions.dueSweeps(clock.now(), 10)).toEqual([]);
    expect(await deletions.dueSweeps(sweep.after, 10)).toEqual([sweep.prefix]);
    await deletions.finishSweep(sweep.prefix);
    expect(await deletions.dueSweeps(sweep.after, 10)).toEqual([]);
  });
});
