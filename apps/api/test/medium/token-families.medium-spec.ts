import { JwtService } from '@nestjs/jwt';
import { DomainError } from '../../src/common/domain-error';
import { AppConfig } from '../../src/config/app-config';
import { AccessTokenService } from '../../src/modules/tokens/access-token.service';
import { RefreshTokenRepository } from '../../src/modules/tokens/refresh-token.repository';
import { RefreshTokenService } from '../../src/modules/tokens/refresh-token.service';
import { TokenVersionRepository } from '../../src/modules/tokens/token-version.repository';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { useMediumDatabase } from '../../../../test/helpers/medium-database';

describe('refresh-token families on PostgreSQL', () => {
  const db = useMediumDatabase();
  let config: AppConfig;
  let clock: ManualClock;
  let service: RefreshTokenService;
  let n = 0;

  beforeAll(() => {
    config = db.config();
  });

  beforeEach(() => {
    clock = new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
    service = new RefreshTokenService(
      new RefreshTokenRepository(db.prisma),
      new AccessTokenService(new JwtService({ secret: config.secrets.jwt }), clock, config),
      clock,
      config,
    );
  });

  async function verifiedUser(): Promise<string> {
    const user = await db.prisma.user.create({ data: { email: `family-${++n}@example.com`, passwordHash: 'h', verifiedAt: clock.now() } });
    return user.id;
  }

  async function currentTokens(userId: string) {
    return db.prisma.refreshToken.findMany({ where: { family: { userId }, rotatedAt: null, revokedAt: null } });
  }

  it('stores only the keyed hash of the token', async () => {
    const userId = await verifiedUser();
    const token = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    const [row] = await db.prisma.refreshToken.findMany({ where: { family: { userId } } });
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('keeps exactly one current token per family when rotations of one token race', async () => {
    const userId = await verifiedUser();
    const token = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => service.refresh(token, true)));

    // Every racer is within the overlap window, so each is served; rotations are serialised by
    // the family lock and each supersedes the previous successor.
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await currentTokens(userId)).toHaveLength(1);
    expect(await db.prisma.refreshToken.count({ where: { family: { userId } } })).toBe(6);
  });

  it('revokes the family on reuse after the overlap, even while a rotation is in flight elsewhere', async () => {
    const userId = await verifiedUser();
    const first = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    const second = (await service.refresh(first, true)).refreshToken!;
    clock.advance(11);

    const [reuse, rotation] = await Promise.allSettled([service.refresh(first, false), service.refresh(second, true)]);

    expect(reuse.status).toBe('rejected');
    expect((reuse as PromiseRejectedResult).reason).toBeInstanceOf(DomainError);
    const family = await db.prisma.refreshTokenFamily.findFirstOrThrow({ where: { userId } });
    expect(family.revokedAt).toEqual(clock.now());
    // Whatever the order, nothing of the family works afterwards.
    if (rotation.status === 'fulfilled') await expect(service.refresh(rotation.value.refreshToken!, false)).rejects.toBeInstanceOf(DomainError);
    await expect(service.refresh(second, false)).rejects.toBeInstanceOf(DomainError);
  });

  it('revokeAllForUser bumps the token version and revokes every family of the user, and only of that user', async () => {
    const userId = await verifiedUser();
    const other = await verifiedUser();
    const a = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    const b = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    const c = (await service.startSession({ id: other, tokenVersion: 0 })).refreshToken;
    const versions = new TokenVersionRepository(db.prisma);

    await service.revokeAllForUser(userId);

    expect(await versions.currentVersion(userId)).toBe(1);
    expect(await versions.currentVersion(other)).toBe(0);
    await expect(service.refresh(a, false)).rejects.toBeInstanceOf(DomainError);
    await expect(service.refresh(b, false)).rejects.toBeInstanceOf(DomainError);
    await expect(service.refresh(c, false)).resolves.toEqual({ accessToken: expect.any(String) });
  });

  it('issues access tokens carrying the current token version and naming their login (sid = the family id)', async () => {
    const userId = await verifiedUser();
    await db.prisma.user.update({ where: { id: userId }, data: { tokenVersion: 7 } });
    const token = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    const { accessToken } = await service.refresh(token, false);
    const [family] = await db.prisma.refreshTokenFamily.findMany({ where: { userId } });
    expect(JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString())).toMatchObject({ sub: userId, ver: 7, sid: family.id });
  });

  it('deleteDead removes expired, revoked and idle families but keeps live ones with their rotated tokens', async () => {
    await db.prisma.user.deleteMany();
    const userId = await verifiedUser();
    const revoked = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    await service.revoke(revoked);
    await service.startSession({ id: userId, tokenVersion: 0 }); // goes idle
    clock.advance(13 * 24 * 3600);
    const live = (await service.startSession({ id: userId, tokenVersion: 0 })).refreshToken;
    await service.refresh(live, true);
    clock.advance(2 * 24 * 3600);

    expect(await service.deleteDead()).toBe(2);
    expect(await db.prisma.refreshTokenFamily.count()).toBe(1);
    expect(await db.prisma.refreshToken.count()).toBe(2);
  });
});
