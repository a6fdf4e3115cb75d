import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/**
 * The Redis tests share (`TEST_REDIS_URL`, default the local one). Each test takes a key prefix
 * of its own, so concurrent test files never see each other's counters.
 */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
}

export function uniqueKeyPrefix(): string {
  return `coffer-test:${randomBytes(6).toString('hex')}:`;
}

/** A client for inspecting keys; fails with the way to start Redis when there is none. */
export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `these tests need Redis at ${testRedisUrl()} (${(err as Error).message}); start it with ` +
        `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
      { cause: err },
    );
  }
  return redis;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
