import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { DomainError } from '../../common/domain-error';
import type { AppConfig } from '../../config/app-config';
import { RateLimit } from './rate-limit.decorator';
import { RATE_LIMIT_GROUPS } from './rate-limit.groups';
import { RateLimitGuard } from './rate-limit.guard';
import { domainError } from '../../../../../test/helpers/domain-error';

class Routes {
  @RateLimit('login')
  login(): void {}

  @RateLimit('presign')
  presign(): void {}

  unlimited(): void {}
}

@RateLimit('download')
class DownloadRoutes {
  download(): void {}
}

interface FakeRequest {
  ip?: string;
  user?: { id: string };
}

function contextFor(handler: keyof Routes | 'download', req: FakeRequest, headers: Record<string, string> = {}): ExecutionContext {
  const classRef = handler === 'download' ? DownloadRoutes : Routes;
  const res = { setHeader: (name: string, value: string) => void (headers[name] = value) };
  return {
    getHandler: () => (classRef.prototype as unknown as Record<string, () => void>)[handler],
    getClass: () => classRef,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
}

function guardWith(storage: ThrottlerStorage, rateLimitEnabled = true): RateLimitGuard {
  return new RateLimitGuard(new Reflector(), storage, { rateLimitEnabled } as AppConfig);
}

describe('RateLimitGuard', () => {
  let storage: ThrottlerStorageService;

  beforeEach(() => {
    storage = new ThrottlerStorageService();
  });

  afterEach(() => storage.onApplicationShutdown());

  it('lets the group limit through, then refuses with RATE_LIMITED and Retry-After', async () => {
    const guard = guardWith(storage);
    const { limit } = RATE_LIMIT_GROUPS.login;
    for (let i = 0; i < limit; i++) {
      await expect(guard.canActivate(contextFor('login', { ip: '203.0.113.7' }))).resolves.toBe(true);
    }

    const headers: Record<string, string> = {};
    const error = await domainError(guard.canActivate(contextFor('login', { ip: '203.0.113.7' }, headers)));

    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(RATE_LIMIT_GROUPS.login.windowSeconds);
    expect(headers).toMatchObject({ 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': '0' });
  });

  it('sets RateLimit headers that count down on allowed requests', async () => {
    const guard = guardWith(storage);
    const headers: Record<string, string> = {};
    await guard.canActivate(contextFor('login', { ip: '198.51.100.1' }, headers));
    await guard.canActivate(contextFor('login', { ip: '198.51.100.1' }, headers));

    expect(headers['RateLimit-Limit']).toBe(String(RATE_LIMIT_GROUPS.login.limit));
    expect(headers['RateLimit-Remaining']).toBe(String(RATE_LIMIT_GROUPS.login.limit - 2));
    expect(Number(headers['RateLimit-Reset'])).toBeGreaterThan(0);
  });

  it('counts each client address separately', async () => {
    const guard = guardWith(storage);
    for (let i = 0; i < RATE_LIMIT_GROUPS.login.limit; i++) await guard.canActivate(contextFor('login', { ip: '203.0.113.7' }));

    await expect(guard.canActivate(contextFor('login', { ip: '203.0.113.8' }))).resolves.toBe(true);
  });

  it('counts IPv6 clients per /64, so rotating addresses inside one network does not help', async () => {
    const guard = guardWith(storage);
    for (let i = 0; i < RATE_LIMIT_GROUPS.login.limit; i++) {
      await guard.canActivate(contextFor('login', { ip: `2001:db8:1:2::${i + 1}` }));
    }

    await expect(domainError(guard.canActivate(contextFor('login', { ip: '2001:db8:1:2::ffff' })))).resolves.toBeInstanceOf(DomainError);
  });

  it('applies only the route’s own group: one counter, with that group’s limit and window', async () => {
    const increment = jest.fn<ReturnType<ThrottlerStorage['increment']>, Parameters<ThrottlerStorage['increment']>>()
      .mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    const guard = guardWith({ increment });

    await guard.canActivate(contextFor('presign', { ip: '203.0.113.7', user: { id: 'user-1' } }));

    const { limit, windowSeconds } = RATE_LIMIT_GROUPS.presign;
    expect(increment).toHaveBeenCalledTimes(1);
    expect(increment).toHaveBeenCalledWith('presign:user:user-1', windowSeconds * 1000, limit, windowSeconds * 1000, 'presign');
  });

  it('keys per-user groups by the authenticated user, whatever the address', async () => {
    const guard = guardWith(storage);
    for (let i = 0; i < RATE_LIMIT_GROUPS.presign.limit; i++) {
      await guard.canActivate(contextFor('presign', { ip: `203.0.113.${i % 250}`, user: { id: 'user-1' } }));
    }

    await expect(domainError(guard.canActivate(contextFor('presign', { ip: '198.51.100.9', user: { id: 'user-1' } })))).resolves.toBeInstanceOf(DomainError);
    await expect(guard.canActivate(contextFor('presign', { ip: '203.0.113.1', user: { id: 'user-2' } }))).resolves.toBe(true);
  });

  it('refuses to run a per-user limit before authentication instead of silently counting per address', async () => {
    const guard = guardWith(storage);
    await expect(guard.canActivate(contextFor('presign', { ip: '203.0.113.7' }))).rejects.toThrow(/AccessTokenGuard/);
  });

  it('reads a group set on the controller class', async () => {
    const increment = jest.fn<ReturnType<ThrottlerStorage['increment']>, Parameters<ThrottlerStorage['increment']>>()
      .mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await guardWith({ increment }).canActivate(contextFor('download', { ip: '203.0.113.7' }));

    expect(increment).toHaveBeenCalledWith('download:ip:203.0.113.7', expect.any(Number), RATE_LIMIT_GROUPS.download.limit, expect.any(Number), 'download');
  });

  it('does nothing for routes without a group', async () => {
    const increment = jest.fn<ReturnType<ThrottlerStorage['increment']>, Parameters<ThrottlerStorage['increment']>>();
    await expect(guardWith({ increment }).canActivate(contextFor('unlimited', { ip: '203.0.113.7' }))).resolves.toBe(true);
    expect(increment).not.toHaveBeenCalled();
  });

  it('does nothing when RATE_LIMIT_ENABLED is false', async () => {
    const increment = jest.fn<ReturnType<ThrottlerStorage['increment']>, Parameters<ThrottlerStorage['increment']>>();
    await expect(guardWith({ increment }, false).canActivate(contextFor('login', { ip: '203.0.113.7' }))).resolves.toBe(true);
    expect(increment).not.toHaveBeenCalled();
  });
});
