import type Redis from 'ioredis';
import { call } from '../../../../test/helpers/http';
import { connectTestRedis, deleteKeys, testRedisUrl, uniqueKeyPrefix } from '../../../../test/helpers/redis';
import { TcpRelay } from '../../../../test/helpers/tcp-relay';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';

describe('rate limits counted in Redis (REDIS_URL)', () => {
  let t: TestApp;
  let redis: Redis;
  let relay: TcpRelay;
  const prefix = uniqueKeyPrefix();

  beforeAll(async () => {
    redis = await connectTestRedis();
    // Redis behind a relay the test can cut, as a network partition would.
    relay = await TcpRelay.start(Number(new URL(testRedisUrl()).port || 6379));
    t = await startTestApp({ env: { RATE_LIMIT_ENABLED: 'true', REDIS_URL: `redis://127.0.0.1:${relay.port}`, REDIS_KEY_PREFIX: prefix } });
  });

  afterAll(async () => {
    await t?.close();
    await relay?.stop();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const login = () => call(t, 'POST', '/api/user/login', { body: { email: 'nobody@example.com', password: 'wrong password' } });

  it('counts in Redis under the prefix, and readiness names Redis', async () => {
    const answer = await login();
    expect(answer.status).toBe(401);
    expect(answer.headers.get('RateLimit-Remaining')).toBe('9');
    expect(await redis.exists(`${prefix}rl:{login:ip:127.0.0.1}`)).toBe(1);
    expect((await call(t, 'GET', '/api/readyz')).body).toEqual({ database: 'ok', storage: 'ok', rate_limits: 'ok' });
  });

  it('fails closed while Redis is unreachable: 503 SERVICE_UNAVAILABLE with Retry-After, readiness 503; counts again once Redis is back', async () => {
    await relay.stop();

    const refused = await login();
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: expect.any(String), code: 'SERVICE_UNAVAILABLE' });
    expect(refused.headers.get('Retry-After')).toBe('5');
    const ready = await call(t, 'GET', '/api/readyz');
    expect({ status: ready.status, body: ready.body }).toEqual({ status: 503, body: { database: 'ok', storage: 'ok', rate_limits: 'down' } });

    await relay.resume();
    let answer = await login();
    for (let i = 0; i < 100 && answer.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await login();
    }
    expect(answer.status).toBe(401);
    // The refused request was not counted: this is the second login Redis has seen.
    expect(answer.headers.get('RateLimit-Remaining')).toBe('8');
  });
});
