import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerStorage, normalizeIp, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { RATE_LIMIT_GROUP, RATE_LIMIT_GROUPS, RateLimitGroup, RateLimitRule } from './rate-limit.groups';

/**
 * Applies exactly one group's limit to a route: the group named by `@RateLimit`. (The stock
 * `ThrottlerGuard` of @nestjs/throttler v6 applies every named throttler to every route, which
 * would hold a login to the download budget too.) Counting uses the throttler's storage.
 *
 * Responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a refusal is
 * `DomainError('RATE_LIMITED')` with `retryAfterSeconds` (answered as `Retry-After`), so the global filter answers 429 in the
 * usual JSON shape.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.rateLimitEnabled) return true;
    const group = this.reflector.getAllAndOverride<RateLimitGroup | undefined>(RATE_LIMIT_GROUP, [context.getHandler(), context.getClass()]);
    if (!group) return true;
    const rule: RateLimitRule = RATE_LIMIT_GROUPS[group];
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: { id: string } }>();
    const res = http.getResponse<Response>();

    const windowMs = rule.windowSeconds * 1000;
    const record = await this.storage.increment(`${group}:${clientKey(group, rule, req)}`, windowMs, rule.limit, windowMs, group);

    const resetSeconds = Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire);
    res.setHeader('RateLimit-Limit', String(rule.limit));
    res.setHeader('RateLimit-Remaining', String(record.isBlocked ? 0 : Math.max(0, rule.limit - record.totalHits)));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (record.isBlocked) {
      throw new DomainError('RATE_LIMITED', `Too many requests; retry in ${resetSeconds} seconds`, resetSeconds);
    }
    return true;
  }
}

/** Whose budget a request spends: the authenticated user's, or the client address's. */
function clientKey(group: RateLimitGroup, rule: RateLimitRule, req: Request & { user?: { id: string } }): string {
  if (rule.key === 'user') {
    // A programming error, not a client error: the route checks the limit before authenticating.
    if (!req.user?.id) throw new Error(`rate limit "${group}" is per user but the route has no authenticated user yet; run AccessTokenGuard first`);
    return `user:${req.user.id}`;
  }
  // `req.ip` already honours TRUST_PROXY (Express `trust proxy`); IPv6 clients are counted per /64.
  return `ip:${req.ip ? normalizeIp(req.ip) : 'unknown'}`;
}
