import { DomainError } from '../../common/domain-error';
import { checkMetricsAccess, isLoopbackAddress } from './metrics-access';

const TOKEN = 'metrics-token-'.padEnd(40, 'x');

function answer(env: 'development' | 'production' | 'test', metricsToken: string | undefined, authorization: string | undefined, address: string): string {
  try {
    checkMetricsAccess({ env, metricsToken }, authorization, address);
    return 'served';
  } catch (err) {
    return (err as DomainError).code;
  }
}

describe('checkMetricsAccess', () => {
  it.each([
    ['production, right token, remote client', 'production', TOKEN, `Bearer ${TOKEN}`, '203.0.113.9', 'served'],
    ['production, no token sent, loopback client', 'production', TOKEN, undefined, '127.0.0.1', 'UNAUTHORIZED'],
    ['production, wrong token', 'production', TOKEN, `Bearer ${TOKEN}y`, '203.0.113.9', 'UNAUTHORIZED'],
    ['production without METRICS_TOKEN, loopback client', 'production', undefined, undefined, '127.0.0.1', 'NOT_FOUND'],
    ['production without METRICS_TOKEN, a bearer of anything', 'production', undefined, 'Bearer ', '203.0.113.9', 'NOT_FOUND'],
    ['development, loopback client, no token anywhere', 'development', undefined, undefined, '::1', 'served'],
    ['development, IPv4-mapped loopback', 'development', undefined, undefined, '::ffff:127.0.0.1', 'served'],
    ['development, remote client, no METRICS_TOKEN', 'development', undefined, undefined, '192.168.1.20', 'NOT_FOUND'],
    ['development, remote client, METRICS_TOKEN set but not sent', 'development', TOKEN, undefined, '192.168.1.20', 'UNAUTHORIZED'],
    ['development, remote client with the token', 'development', TOKEN, `Bearer ${TOKEN}`, '192.168.1.20', 'served'],
    ['test mode, loopback client', 'test', undefined, undefined, '127.0.0.1', 'served'],
  ] as const)('%s: %s', (_what, env, token, authorization, address, expected) => {
    expect(answer(env, token, authorization, address)).toBe(expected);
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::FFFF:127.0.0.1', true],
    ['::ffff:10.0.0.1', false],
    ['10.127.0.1', false],
    ['::2', false],
    [undefined, false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
