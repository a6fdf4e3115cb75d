import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RATE_LIMIT_GROUP, RateLimitGroup } from './rate-limit.groups';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Holds the route (or every route of a controller) to the limit of one group from
 * `RATE_LIMIT_GROUPS`, and to no other.
 *
 * For `key: 'user'` groups the user must already be authenticated when the limit is checked:
 * put `@UseGuards(AccessTokenGuard)` on the controller class, or *below* `@RateLimit(...)` on the
 * same method (method decorators apply bottom-up, so the lower guard runs first). The guard
 * refuses to apply a user-keyed limit without a user rather than silently counting per address.
 *
 * The 429 it can answer (RATE_LIMITED) is documented with the route's other errors, from the
 * route's code list in `@coffer/contract` (`@ApiErrors`).
 */
export function RateLimit(group: RateLimitGroup): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(RATE_LIMIT_GROUP, group),
    UseGuards(RateLimitGuard),
  );
}
