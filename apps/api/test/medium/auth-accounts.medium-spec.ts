import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../src/config/app-config';
import { ExclusiveJobRunner } from '../../src/database/exclusive-job';
import { AccountCleanupJob } from '../../src/modules/auth/account-cleanup.job';
import { AccountRepository, CodeFor, FreshCode } from '../../src/modules/auth/account.repository';
import { OtpRepository } from '../../src/modules/otp/otp.repository';
import { OtpService } from '../../src/modules/otp/otp.service';
import { AccessTokenService } from '../../src/modules/tokens/access-token.service';
import { RefreshTokenRepository } from '../../src/modules/tokens/refresh-token.repository';
import { RefreshTokenService } from '../../src/modules/tokens/refresh-token.service';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { useMediumDatabase } from '../../../../test/helpers/medium-database';

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

  function issue(code: string): CodeFor {
    return (userId) => otp.record(userId, code);
  }
  function fresh(code: string): FreshCode {
    return (userId) => ({ stored: otp.record(userId, code), code });
  }
  const inCooldown = (last: Date | undefined) => otp.inCooldown(last);

  /** Registers `address` and answers the account (the code issue behind it is committed). */
  async function register(address: string, code: string, passwordHash = 'h') {
    const saved = await accounts.savePendingRegistration({ email: address, passwordHash, now: clock.now() }, issue(code));
    return saved?.account;
  }

  async function codesOf(userId: string) {
    return db.prisma.otpCode.findMany({ where: { userId }, orderBy: [{ registeredAt: 'asc' }, { id: 'asc' }] });
  }

  describe('savePendingRegistration', () => {
    it('creates an unverified account with one code, committed before the caller mails it', async () => {
      const address = email();
      const saved = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('123456'));

      expect(saved?.account).toEqual({ id: expect.any(String), email: address, createdAt: clock.now(), updatedAt: clock.now() });
      const row = await db.prisma.user.findUniqueOrThrow({ where: { email: address } });
      expect(row).toMatchObject({ id: saved!.account.id, passwordHash: 'hash-1', verifiedAt: null, tokenVersion: 0 });
      const codes = await codesOf(saved!.account.id);
      expect(codes.map((c) => c.id)).toEqual([saved!.issued.codeId]);
      expect(saved!.issued).toMatchObject({ userId: saved!.account.id, email: address, othersPending: false, previousRegistration: 'none' });
      expect(await accounts.findPendingByEmail(address)).toEqual({ id: saved!.account.id });
    });

    it('adds a registration attempt to a pending account: same id, new creation time, each code with its own password, the earlier one untouched', async () => {
      const address = email();
      const first = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('111111'));
      clock.advance(30);
      const second = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, issue('222222'));

      expect(second!.account).toEqual({ id: first!.account.id, email: address, createdAt: clock.now(), updatedAt: clock.now() });
      expect(first!.issued.othersPending).toBe(false);
      expect(second!.issued.othersPending).toBe(true);
      const codes = await db.prisma.otpCode.findMany({ where: { userId: first!.account.id }, orderBy: { createdAt: 'asc' } });
      expect(codes.map((c) => [c.codeHash, c.passwordHash])).toEqual([
        [otp.record(first!.account.id, '111111').codeHash, 'hash-1'],
        [otp.record(first!.account.id, '222222').codeHash, 'hash-2'],
      ]);
      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ passwordHash: 'hash-1' });
    });

    it('markVerified sets the password of the attempt the code was mailed for and deletes every other attempt', async () => {
      const address = email();
      const owner = await accounts.savePendingRegistration({ email: address, passwordHash: 'owner-hash', now: clock.now() }, issue('111111'));
      await accounts.savePendingRegistration({ email: address, passwordHash: 'attacker-hash', now: clock.now() }, issue('222222'));
      const squatterFirst = await accounts.savePendingRegistration({ email: email(), passwordHash: 'squatter-hash', now: clock.now() }, issue('333333'));
      const ownerSecond = await accounts.savePendingRegistration({ email: squatterFirst!.account.email, passwordHash: 'owner-hash', now: clock.now() }, issue('444444'));

      expect(await accounts.markVerified(owner!.account.id, owner!.issued.codeId, clock.now())).toBe(true);
      expect(await accounts.markVerified(ownerSecond!.account.id, ownerSecond!.issued.codeId, clock.now())).toBe(true);

      for (const id of [owner!.account.id, ownerSecond!.account.id]) {
        expect(await db.prisma.user.findUniqueOrThrow({ where: { id } })).toMatchObject({ passwordHash: 'owner-hash', verifiedAt: clock.now() });
        expect(await codesOf(id)).toEqual([]);
      }
      expect(await accounts.markVerified(squatterFirst!.account.id, squatterFirst!.issued.codeId, clock.now())).toBe(false);
    });

    it('answers undefined and changes nothing when a verified account has the e-mail', async () => {
      const address = email();
      const first = await register(address, '111111', 'hash-1');
      const [code] = await codesOf(first!.id);
      expect(await accounts.markVerified(first!.id, code.id, clock.now())).toBe(true);
      const codeFor = jest.fn(issue('222222'));

      expect(await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, codeFor)).toBeUndefined();
      expect(codeFor).not.toHaveBeenCalled();
      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ passwordHash: 'hash-1' });
    });

    it('serialises concurrent registrations of one e-mail into one account with one attempt (code and password) each', async () => {
      const address = email();
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => register(address, `00000${i}`, `hash-${i}`)));

      expect(new Set(results.map((r) => r!.id)).size).toBe(1);
      expect((await codesOf(results[0]!.id)).map((c) => c.passwordHash).sort()).toEqual(['hash-0', 'hash-1', 'hash-2', 'hash-3', 'hash-4']);
    });
  });

  describe('withdrawIssue (the mail could not be sent)', () => {
    it('deletes the account the attempt created', async () => {
      const address = email();
      const saved = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('123456'));

      expect(await accounts.withdrawIssue(saved!.issued)).toBe(true);
      expect(await db.prisma.user.count({ where: { email: address } })).toBe(0);
    });

    it('puts the replaced pending registration and its code back exactly', async () => {
      const address = email();
      const first = await register(address, '111111', 'hash-1');
      const [firstCode] = await codesOf(first!.id);
      clock.advance(30);
      const replacement = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-2', now: clock.now() }, issue('222222'));

      expect(await accounts.withdrawIssue(replacement!.issued)).toBe(true);
      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ passwordHash: 'hash-1', createdAt: first!.createdAt, updatedAt: first!.updatedAt });
      expect(await codesOf(first!.id)).toEqual([firstCode]);
    });

    it('puts the previous code back after a resend, keeping its cooldown', async () => {
      const address = email();
      const account = await register(address, '111111');
      const [firstCode] = await codesOf(account!.id);
      clock.advance(60);
      const result = await accounts.reissueCodes(address, clock.now(), inCooldown, fresh('222222'));
      if (result.outcome !== 'sent') throw new Error(`expected a new code, got ${result.outcome}`);

      expect(await accounts.withdrawIssue(result.issued[0])).toBe(true);
      expect(await codesOf(account!.id)).toEqual([firstCode]);
      expect(await db.prisma.user.count({ where: { id: account!.id } })).toBe(1);
    });

    it('withdraws only its own attempt: a later attempt keeps the account and its code; nothing once verified', async () => {
      const address = email();
      const first = await accounts.savePendingRegistration({ email: address, passwordHash: 'hash-1', now: clock.now() }, issue('111111'));
      const second = await register(address, '222222', 'hash-2');

      expect(await accounts.withdrawIssue(first!.issued)).toBe(true);
      expect(await accounts.withdrawIssue(first!.issued)).toBe(false);
      expect(await db.prisma.user.findUniqueOrThrow({ where: { email: address } })).toMatchObject({ id: second!.id });
      const codes = await codesOf(second!.id);
      expect(codes.map((c) => [c.codeHash, c.passwordHash])).toEqual([[otp.record(second!.id, '222222').codeHash, 'hash-2']]);

      const other = await accounts.savePendingRegistration({ email: email(), passwordHash: 'h', now: clock.now() }, issue('333333'));
      expect(await accounts.markVerified(other!.account.id, other!.issued.codeId, clock.now())).toBe(true);
      expect(await accounts.withdrawIssue(other!.issued)).toBe(false);
      expect(await db.prisma.user.count({ where: { id: other!.account.id } })).toBe(1);
    });
  });

  describe('reissueCodes', () => {
    it('replaces the code of a pending account once out of the cooldown, and only then', async () => {
      const address = email();
      const account = await register(address, '111111');

      expect(await accounts.reissueCodes(address, clock.now(), inCooldown, fresh('222222'))).toEqual({ outcome: 'cooldown' });
      clock.advance(60);
      expect(await accounts.reissueCodes(address, clock.now(), inCooldown, fresh('333333'))).toMatchObject({ outcome: 'sent', issued: [{ userId: account!.id, email: address, code: '333333' }] });
      const codes = await codesOf(account!.id);
      expect(codes.map((c) => [c.codeHash, c.passwordHash])).toEqual([[otp.record(account!.id, '333333').codeHash, 'h']]);
    });

    it('gives every live attempt a new code with its own password, registration time and expiry; an expired attempt gets none', async () => {
      const address = email();
      const first = await register(address, '111111', 'hash-1');
      const [expiring] = await codesOf(first!.id);
      clock.advance(300);
      await register(address, '222222', 'hash-2');
      clock.advance(200);
      await register(address, '333333', 'hash-3');
      const before = await codesOf(first!.id);
      clock.advance(101); // the first attempt's code has expired

      const result = await accounts.reissueCodes(address, clock.now(), inCooldown, fresh('444444'));
      if (result.outcome !== 'sent') throw new Error(`expected new codes, got ${result.outcome}`);
      const after = await codesOf(first!.id);
      const live = before.filter((c) => c.id !== expiring.id);
      expect(result.issued.map((i) => [i.registeredAt, i.expiresAt, i.othersPending])).toEqual(live.map((c) => [c.registeredAt, c.expiresAt, true]));
      expect(after.filter((c) => c.id !== expiring.id).map((c) => [c.passwordHash, c.registeredAt, c.expiresAt, c.createdAt])).toEqual(
        live.map((c) => [c.passwordHash, c.registeredAt, c.expiresAt, clock.now()]),
      );
      expect(after.find((c) => c.id === expiring.id)).toEqual(expiring);
    });

    it('answers no-live-attempt when every code of the pending account has expired', async () => {
      const address = email();
      await register(address, '111111');
      clock.advance(otp.lifetimeSeconds);
      expect(await accounts.reissueCodes(address, clock.now(), inCooldown, fresh('222222'))).toEqual({ outcome: 'no-live-attempt' });
    });

    it('issues one round when resends race', async () => {
      const address = email();
      await register(address, '111111');
      clock.advance(60);
      const codeFor = jest.fn(fresh('222222'));

      const outcomes = await Promise.all(Array.from({ length: 4 }, () => accounts.reissueCodes(address, clock.now(), inCooldown, codeFor)));

      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['cooldown', 'cooldown', 'cooldown', 'sent']);
      expect(codeFor).toHaveBeenCalledTimes(1);
    });

    it('answers no-pending-account for unknown and verified e-mails', async () => {
      expect(await accounts.reissueCodes('nobody@example.com', clock.now(), () => false, fresh('1'))).toEqual({ outcome: 'no-pending-account' });
    });
  });

  describe('markVerified', () => {
    it('consumes the code once: a second use of the same code id answers false', async () => {
      const account = await register(email(), '111111');
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

      const stale = await register(email(), '111111');
      const verified = await register(email(), '222222');
      await accounts.markVerified(verified!.id, (await codesOf(verified!.id))[0].id, clock.now());
      const revokedSession = (await refreshTokens.startSession({ id: verified!.id, tokenVersion: 0 })).refreshToken;
      await refreshTokens.revoke(revokedSession);
      await refreshTokens.startSession({ id: verified!.id, tokenVersion: 0 }); // will go idle
      clock.advance(15 * 24 * 3600);
      const liveSession = (await refreshTokens.startSession({ id: verified!.id, tokenVersion: 0 })).refreshToken;
      const fresh = await register(email(), '333333');
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
