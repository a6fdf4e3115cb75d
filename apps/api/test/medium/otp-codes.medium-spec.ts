import { AppConfig } from '../../src/config/app-config';
import { DomainError } from '../../src/common/domain-error';
import { OtpRepository } from '../../src/modules/otp/otp.repository';
import { OtpService } from '../../src/modules/otp/otp.service';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { useMediumDatabase } from '../../../../test/helpers/medium-database';

describe('OTP codes on PostgreSQL', () => {
  const db = useMediumDatabase();
  let config: AppConfig;
  let repository: OtpRepository;
  let service: OtpService;
  const clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  let n = 0;

  beforeAll(() => {
    config = db.config({ OTP_MAX_ATTEMPTS: '5' });
    repository = new OtpRepository(db.prisma);
    service = new OtpService(repository, clock, config);
  });

  const emails = new Map<string, string>();
  async function userWithCode(code: string): Promise<string> {
    const user = await db.prisma.user.create({ data: { email: `otp-${++n}@example.com`, passwordHash: 'h' } });
    emails.set(user.id, user.email);
    await repository.replace(service.record(user.id, code));
    return user.id;
  }
  const check = (userId: string, code: string) => service.check(userId, emails.get(userId)!, code);

  it('never makes more comparisons than OTP_MAX_ATTEMPTS, however many guesses run in parallel', async () => {
    const userId = await userWithCode('424242');
    const guesses = Array.from({ length: 30 }, (_, i) => String(100000 + i));

    const results = await Promise.allSettled(guesses.map((guess) => check(userId, guess)));

    const codes = results.map((r) => ((r as PromiseRejectedResult).reason as DomainError).code);
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(4);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(26);
    expect((await db.prisma.otpAttemptBudget.findUniqueOrThrow({ where: { email: emails.get(userId)! } })).attempts).toBe(5);
    await expect(check(userId, '424242')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
  });

  it('keeps one guess budget per address across codes: a new code (re-registration, resend) gives no new guesses; the next window does', async () => {
    const userId = await userWithCode('424242');
    for (let i = 0; i < 3; i++) await expect(check(userId, String(100000 + i))).rejects.toMatchObject({ code: 'INVALID_CODE' });
    await repository.add(service.record(userId, '515151'));
    await expect(check(userId, '100009')).rejects.toMatchObject({ code: 'INVALID_CODE' });
    const last = await service.check(userId, emails.get(userId)!, '100010').catch((e: DomainError) => e);
    expect(last).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: config.ttl.otpSeconds });
    await repository.replace(service.record(userId, '616161'));
    await expect(check(userId, '616161')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });

    clock.advance(config.ttl.otpSeconds);
    await repository.replace(service.record(userId, '717171'));
    await expect(check(userId, '717171')).resolves.toEqual(expect.any(String));
  });

  it('checks a guess against every live code of the user (one per registration attempt)', async () => {
    const userId = await userWithCode('111111');
    const second = await repository.add(service.record(userId, '222222'));
    await expect(check(userId, '222222')).resolves.toBe(second);
  });

  it('accepts the right code and spends a guess of the address budget on it', async () => {
    const userId = await userWithCode('424242');
    const [stored] = await db.prisma.otpCode.findMany({ where: { userId } });
    await expect(check(userId, '424242')).resolves.toBe(stored.id);
    expect((await db.prisma.otpAttemptBudget.findUniqueOrThrow({ where: { email: emails.get(userId)! } })).attempts).toBe(1);
  });

  it('replace leaves one code per user, and only for that user', async () => {
    const a = await userWithCode('111111');
    const b = await userWithCode('222222');
    await repository.replace(service.record(a, '333333'));

    await expect(check(a, '111111')).rejects.toMatchObject({ code: 'INVALID_CODE' });
    expect(await db.prisma.otpCode.count({ where: { userId: a } })).toBe(1);
    await expect(check(b, '222222')).resolves.toEqual(expect.any(String));
  });

  it('deleteExpired removes expired codes only', async () => {
    await db.prisma.otpCode.deleteMany();
    const live = await userWithCode('111111');
    const old = await userWithCode('222222');
    await db.prisma.otpCode.updateMany({ where: { userId: old }, data: { expiresAt: clock.now() } });

    expect(await service.deleteExpired()).toBe(1);
    expect(await db.prisma.otpCode.count({ where: { userId: live } })).toBe(1);
  });
});
