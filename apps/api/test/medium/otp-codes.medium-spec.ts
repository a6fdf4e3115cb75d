import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/config';
import { Clock } from '../../src/common/clock';
import { DomainError } from '../../src/common/domain-error';
import { Database, openDatabase } from '../../src/database/database';
import { OtpRepository } from '../../src/modules/otp/otp.repository';
import { OtpService } from '../../src/modules/otp/otp.service';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';

jest.setTimeout(60_000);

class ManualClock extends Clock {
  current = new Date('2026-03-01T12:00:00.000Z');
  now(): Date {
    return new Date(this.current);
  }
}

describe('OTP codes on PostgreSQL', () => {
  let testDb: TestDatabase;
  let database: Database;
  let config: AppConfig;
  let repository: OtpRepository;
  let service: OtpService;
  const clock = new ManualClock();
  let n = 0;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    config = loadConfig({ APP_ENV: 'test', DATA_DIR: testDb.dataDir, DATABASE_URL: testDb.url, OTP_MAX_ATTEMPTS: '5' });
    database = await openDatabase({ databaseUrl: testDb.url, dataDir: testDb.dataDir });
    repository = new OtpRepository(database.prisma);
    service = new OtpService(repository, clock, config);
  });

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  async function userWithCode(code: string): Promise<string> {
    const user = await database.prisma.user.create({ data: { email: `otp-${++n}@example.com`, passwordHash: 'h' } });
    await repository.replace(service.record(user.id, code));
    return user.id;
  }

  it('never makes more comparisons than OTP_MAX_ATTEMPTS, however many guesses run in parallel', async () => {
    const userId = await userWithCode('424242');
    const guesses = Array.from({ length: 30 }, (_, i) => String(100000 + i));

    const results = await Promise.allSettled(guesses.map((guess) => service.check(userId, guess)));

    const codes = results.map((r) => ((r as PromiseRejectedResult).reason as DomainError).code);
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(4);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(26);
    expect((await database.prisma.otpCode.findFirstOrThrow({ where: { userId } })).attempts).toBe(5);
    await expect(service.check(userId, '424242')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
  });

  it('accepts the right code and spends an attempt on it', async () => {
    const userId = await userWithCode('424242');
    const [stored] = await database.prisma.otpCode.findMany({ where: { userId } });
    await expect(service.check(userId, '424242')).resolves.toBe(stored.id);
    expect((await database.prisma.otpCode.findUniqueOrThrow({ where: { id: stored.id } })).attempts).toBe(1);
  });

  it('replace leaves one code per user, and only for that user', async () => {
    const a = await userWithCode('111111');
    const b = await userWithCode('222222');
    await repository.replace(service.record(a, '333333'));

    await expect(service.check(a, '111111')).rejects.toMatchObject({ code: 'INVALID_CODE' });
    expect(await database.prisma.otpCode.count({ where: { userId: a } })).toBe(1);
    await expect(service.check(b, '222222')).resolves.toEqual(expect.any(String));
  });

  it('deleteExpired removes expired codes only', async () => {
    await database.prisma.otpCode.deleteMany();
    const live = await userWithCode('111111');
    const old = await userWithCode('222222');
    await database.prisma.otpCode.updateMany({ where: { userId: old }, data: { expiresAt: clock.now() } });

    expect(await service.deleteExpired()).toBe(1);
    expect(await database.prisma.otpCode.count({ where: { userId: live } })).toBe(1);
  });
});
