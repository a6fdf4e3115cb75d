import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../src/config/app-config';
import { ExclusiveJobRunner } from '../../src/database/exclusive-job';
import { AccountCleanupJob } from '../../src/modules/auth/account-cleanup.job';
import { AccountRepository, CodeIssue } from '../../src/modules/auth/account.repository';
import { OtpRepository } from '../../src/modules/otp/otp.repository';
import { OtpService } from '../../src/modules/otp/otp.service';
import { AccessTokenService } from '../../src/modules/tokens/access-token.service';
import { RefreshTokenRepository } from '../../src/modules/tokens/refresh-token.repository';
import { RefreshTokenService } from '../../src/modules/tokens/refresh-token.service';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { serverUrl } from '../../../../test/helpers/database';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

describe('AccountRepository and the cleanup job on PostgreSQL', () => {
  const db = useMediumDatabase();
  let config: AppConfig;
  let accounts: AccountRepository;
  let otp: OtpService;
  let clock: ManualClock;
  let n = 0;
  const email = () => `medium-${++n}@example.com`;

  beforeAll(() => {
    config = db.config();
  });

  beforeEach(() => {
    clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
    const codes = new OtpRepository(db.prisma);
    accounts = new AccountRepository(db.prisma, codes);
    otp = new OtpService(codes, clock, config);
  });

  function issue(code: string, deliver: CodeIssue['deliver'] = async () => undefined): CodeIssue {
    return { codeFor: (userId) => otp.record(userId, code), deliver };
  }

  async function codesOf(userId: string) {
    return db.prisma.otpCode.findMany({ where: { userId } });
  }

  // Only a server runs two transactions at once; the embedded database runs one at a time.
  describeWithPostgres('findPendingByEmail', () => {
    it('waits for a code issuance in flight, whose mail can be read before it commits', async () => {
      const address = email();
      let mailed!: () => void;
      const mailRead = new Promise<void>((resolve) => (mailed = resolve));
      let finishDelivery!: () => void;
      const delivered = new Promise<void>((resolve) => (finishDelivery = resolve));
      const registering = accounts.savePendingRegistration(
        { email: address, passwordHash: 'hash-1', now: clock.now() },
        issue('123456', async () => {
          mailed();
          await delivered;
        }),
      );
      await mailRead;

      let found: { id: string } | undefined | 'not yet' = 'not yet';
      const lookup = accounts.findPendingByEmail(address).then((account) => (found = account));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(found).toBe('not yet');

      finishDelivery();
      const account = await registering;
      await lookup;
      expect(found).toEqual({ id: account!.id });
    });
  });

  describe('savePendingRegistration', () => {
    it('creates an unverified account with one code, delivering inside the transaction', async () => {
      const address = email();
      let seenInside: number | undefined;
      const account = await accounts.savePendingRegistration(
        { email: address, passwordHash: 'hash-1', now: clock.now() },
        issue('123456', async () => {
          // Outside the transaction nothing is visible yet (that needs a second connection,
          // which the embedded database does not have).
          if (serverUrl()) seenInside = await db.prisma.user.count({ where: { email: address } });
        }),
      );

      expect(account).toEqual({ id: expect.any(String), email: address, createdAt: clock.now(), updatedAt: clock.now() });
      if (serverUrl()) expect(seenInside).toBe(0);
      const row = await db.prisma.user.findUniqueOrThrow({ where: { email: address } });
      expect(row).toMatchObject({ id: account!.id, passwordHash: 'hash-1', verifiedAt: null, tokenVersion: 0 });
      expect(await codesOf(account!.id)).toHaveLength(1);
    });

    it('leaves nothing behind when delivery fails', async () => {
      const address = email();
      await expect(
        accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('123456', async () => {
          throw new Error('SMTP down');
        })),
      ).rejects.toThrow('SMTP down');

      expect(await db.prisma.user.count({ where: { email: address } })).toBe(0);
    });

    it('keeps the previous pending registration and its code intact when delivery of a replacement fails', async () => {
      const address = email();
      const first = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('111111'));
      const [firstCode] = await codesOf(first!.id);
      clock.advance(30);

      await expect(
        accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, issue('222222', async () => {
          throw new Error('SMTP down');
        })),
      ).rejects.toThrow();

      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ passwordHash: 'hash-1', createdAt: first!.createdAt });
      expect(await codesOf(first!.id)).toEqual([firstCode]);
    });

    it('replaces a pending registration: same id, new hash and creation time, only the new code', async () => {
      const address = email();
      const first = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('111111'));
      clock.advance(30);
      const second = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, issue('222222'));

      expect(second).toEqual({ id: first!.id, email: address, createdAt: clock.now(), updatedAt: clock.now() });
      const codes = await codesOf(first!.id);
      expect(codes).toHaveLength(1);
      expect(codes[0].codeHash).toBe(otp.record(first!.id, '222222').codeHash);
    });

    it('answers undefined and changes nothing when a verified account has the e-mail', async () => {
      const address = email();
      const first = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('111111'));
      const [code] = await codesOf(first!.id);
      expect(await accounts.markVerified(first!.id, code.id, clock.now())).toBe(true);
      const deliver = jest.fn();

      expect(await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, issue('222222', deliver))).toBeUndefined();
      expect(deliver).not.toHaveBeenCalled();
      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ passwordHash: 'hash-1' });
    });

    it('serialises concurrent registrations of one e-mail into one account with one code', async () => {
      const address = email();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => accounts.savePendingRegistration({ email: address, passwordHash: `hash-${i}`, now: clock.now() }, issue(`00000${i}`))),
      );

      expect(new Set(results.map((r) => r!.id)).size).toBe(1);
      expect(await codesOf(results[0]!.id)).toHaveLength(1);
    });
  });

  describe('reissueCode', () => {
    it('replaces the code of a pending account once out of the cooldown, and only then', async () => {
      const address = email();
      const account = await accounts.savePendingRegistration({ email: address, passwordHash: 'h', now: clock.now() }, issue('111111'));
      const inCooldown = (last: Date | undefined) => otp.inCooldown(last);

      expect(await accounts.reissueCode(address, inCooldown, issue('222222'))).toBe('cooldown');
      clock.advance(60);
      expect(await accounts.reissueCode(address, inCooldown, issue('333333'))).toBe('sent');
      const codes = await codesOf(account!.id);
      expect(codes.map((c) => c.codeHash)).toEqual([otp.record(account!.id, '333333').codeHash]);
    });

    it('sends one code when resends race', async () => {
      const address = email();
      await accounts.savePendingRegistration({ email: address, passwordHash: 'h', now: clock.now() }, issue('111111'));
      clock.advance(60);
      const deliver = jest.fn(async () => undefined);

      const outcomes = await Promise.all(Array.from({ length: 4 }, () => accounts.reissueCode(address, (last) => otp.inCooldown(last), issue('222222', deliver))));

      expect(outcomes.sort()).toEqual(['cooldown', 'cooldown', 'cooldown', 'sent']);
      expect(deliver).toHaveBeenCalledTimes(1);
    });

    it('answers no-pending-account for unknown and verified e-mails', async () => {
      expect(await accounts.reissueCode('nobody@example.com', () => false, issue('1'))).toBe('no-pending-account');
    });
  });

  describe('markVerified', () => {
    it('consumes the code once: a second use of the same code id answers false', async () => {
      const account = await accounts.savePendingRegistration({ email: email(), passwordHash: 'h', now: clock.now() }, issue('111111'));
      const [code] = await codesOf(account!.id);

      const results = await Promise.all([accounts.markVerified(account!.id, code.id, clock.now()), accounts.markVerified(account!.id, code.id, clock.now())]);

      expect(results.sort()).toEqual([false, true]);
      expect(await db.prisma.user.findUniqueOrThrow({ where: { id: account!.id } })).toMatchObject({ verifiedAt: clock.now() });
      expect(await codesOf(account!.id)).toEqual([]);
    });
  });

  describe('AccountCleanupJob.run', () => {
    it('deletes expired codes, dead sessions and sign-ups older than a day, and nothing else', async () => {
      const prisma = db.prisma;
      const refreshTokens = new RefreshTokenService(
        new RefreshTokenRepository(prisma),
        new AccessTokenService(new JwtService({ secret: config.secrets.jwt }), clock, config),
        clock,
        config,
      );
      const job = new AccountCleanupJob(otp, refreshTokens, accounts, new ExclusiveJobRunner(db.database), clock);
      await prisma.user.deleteMany(); // leftovers of the other tests in this file's database

      const stale = await accounts.savePendingRegistration({ email: email(), passwordHash: 'h', now: clock.now() }, issue('111111'));
      const verified = await accounts.savePendingRegistration({ email: email(), passwordHash: 'h', now: clock.now() }, issue('222222'));
      await accounts.markVerified(verified!.id, (await codesOf(verified!.id))[0].id, clock.now());
      const revokedSession = await refreshTokens.startFamily(verified!.id);
      await refreshTokens.revoke(revokedSession);
      await refreshTokens.startFamily(verified!.id); // will go idle
      clock.advance(15 * 24 * 3600);
      const liveSession = await refreshTokens.startFamily(verified!.id);
      const fresh = await accounts.savePendingRegistration({ email: email(), passwordHash: 'h', now: clock.now() }, issue('333333'));
      clock.advance(601); // the fresh sign-up's code has expired; the account has not

      const report = await job.run();

      expect(report).toEqual({ expiredCodes: 2, deadTokenFamilies: 2, unverifiedAccounts: 1 });
      expect(await prisma.user.findMany({ where: { id: { in: [stale!.id, verified!.id, fresh!.id] } }, select: { id: true } })).toEqual(
        expect.arrayContaining([{ id: verified!.id }, { id: fresh!.id }]),
      );
      expect(await prisma.user.count({ where: { id: stale!.id } })).toBe(0);
      expect(await prisma.refreshTokenFamily.count({ where: { userId: verified!.id } })).toBe(1);
      await expect(refreshTokens.refresh(liveSession, false)).resolves.toEqual({ accessToken: expect.any(String) });
      expect(await job.run()).toEqual({ expiredCodes: 0, deadTokenFamilies: 0, unverifiedAccounts: 0 });
    });

    it('runs through the exclusive job runner when scheduled', async () => {
      const job = new AccountCleanupJob(otp, { deleteDead: async () => 0 } as unknown as RefreshTokenService, accounts, new ExclusiveJobRunner(db.database), clock);
      const run = jest.spyOn(job, 'run');
      await job.scheduled();
      expect(run).toHaveBeenCalledTimes(1);
    });
  });
});
