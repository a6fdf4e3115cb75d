import { bearerTokenMatches } from '../../common/bearer-token';
import { DomainError } from '../../common/domain-error';
import type { AppConfig } from '../../config/app-config';

/**
 * Who may read `GET /metrics`: whoever sends `Authorization: Bearer <METRICS_TOKEN>`; outside
 * production also any client connected over loopback (a developer's own scraper). Anyone else
 * gets 401 when a token is configured, and 404 when none is (in production the route then does
 * not exist as far as a client can tell).
 */
export function checkMetricsAccess(
  config: Pick<AppConfig, 'env' | 'metricsToken'>,
  authorization: string | undefined,
  remoteAddress: string | undefined,
): void {
  if (config.metricsToken && bearerTokenMatches(authorization, config.metricsToken)) return;
  if (config.env !== 'production' && isLoopbackAddress(remoteAddress)) return;
  if (config.metricsToken) throw new DomainError('UNAUTHORIZED', 'The metrics need Authorization: Bearer <METRICS_TOKEN>.');
  throw new DomainError('NOT_FOUND', 'Not found.');
}

/** The connection's own peer address: X-Forwarded-For is not consulted, a proxy on this host counts as loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || /^(::ffff:)?127\./i.test(address));
}
