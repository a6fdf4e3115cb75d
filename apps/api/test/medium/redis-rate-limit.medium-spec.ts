import net from 'node:net';
import { ThrottlerStorageService } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { StartupError } from '../../src/common/startup-error';
import { RedisRateLimitStore, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../src/modules/rate-limit/redis-rate-limit.store';
import { domainError } from '../../../../test/helpers/domain-error';
import { connectTestRedis, deleteKeys, testRedisUrl, uniqueKeyPrefix } from '../../../../test/helpers/redis';
import { TcpRelay } from '../../../../test/helpers/tcp-relay';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type StoreRecord = Awaited<ReturnType<ThrottlerStorageService['increment']>>;

/** The in-memory storage answers an unblocked key's timeToBlockExpire as a meaningless negative; nothing reads it. */
const comparable = (record: StoreRecord): StoreRecord => ({ ...record, timeToBlockExpire: record.isBlocked ? record.timeToBlockExpire : 0 });

describe('RedisRateLimitStore on real Redis', () => {
  let redis: Redis;
  let prefix: string;
  const stores: RedisRateLimitStore[] = [];

  async function newStore(url = testRedisUrl()): Promise<RedisRateLimitStore> {
    const store = new RedisRateLimitStore({ url, keyPrefix: prefix });
    await store.connect();
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.onApplicationShutdown()));
    await deleteKeys(redis, prefix);
  });

  afterAll(() => redis.quit());

  it('answers exactly what the in-memory storage answers, hit by hit, past the limit', async () => {
    const store = await newStore();
    const memory = new ThrottlerStorageService();
    try {
      for (let i = 0; i < 6; i++) {
        const expected = await memory.increment('login:ip:203.0.113.7', 60_000, 3, 60_000, 'login');
        const actual = await store.increment('login:ip:203.0.113.7', 60_000, 3, 60_000);
        expect(actual).toEqual(comparable(expected));
      }
    } finally {
      memory.onApplicationShutdown();
    }
  });

  it('blocks for one window, then starts afresh with one hit, like the in-memory storage', async () => {
    const store = await newStore();
    const memory = new ThrottlerStorageService();
    try {
      for (const s of [store, memory]) {
        await s.increment('k', 1000, 1, 1000, 'g');
        const refused = await s.increment('k', 1000, 1, 1000, 'g');
        expect(refused).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
      }
      await sleep(1100);
      const fresh = await store.increment('k', 1000, 1, 1000);
      expect(fresh).toEqual(comparable(await memory.increment('k', 1000, 1, 1000, 'g')));
      expect(fresh).toMatchObject({ totalHits: 1, isBlocked: false });
    } finally {
      memory.onApplicationShutdown();
    }
  });

  it('counts one budget across replicas, atomically: 60 concurrent hits on two stores let exactly the limit through', async () => {
    const [one, two] = [await newStore(), await newStore()];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? one : two).increment('shared', 60_000, 10, 60_000)));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
    expect(results.filter((r) => !r.isBlocked).map((r) => r.totalHits).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('keeps its keys under the prefix, each with an expiry no longer than the window or the block', async () => {
    const store = await newStore();
    await store.increment('ttl', 30_000, 1, 30_000);
    await store.increment('ttl', 30_000, 1, 90_000);
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([`${prefix}rl:{ttl}`, `${prefix}rl:{ttl}:hits`]);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(90_000);
    }
  });

  it('does not start when Redis cannot be reached, naming the URL without its password', async () => {
    const port = await closedPort();
    const store = new RedisRateLimitStore({ url: `redis://:hunter2-password@127.0.0.1:${port}`, keyPrefix: prefix });
    const failure = await store.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
    expect((failure as Error).message).toContain('ECONNREFUSED');
    expect((failure as Error).message).not.toContain('hunter2');
  });

  it('refuses with 503 SERVICE_UNAVAILABLE and Retry-After while Redis is away, and counts again once it is back', async () => {
    const relay = await TcpRelay.start(Number(new URL(testRedisUrl()).port || 6379));
    try {
      const store = await newStore(`redis://127.0.0.1:${relay.port}`);
      expect((await store.increment('outage', 60_000, 5, 60_000)).totalHits).toBe(1);
      await expect(store.ping()).resolves.toBeUndefined();

      await relay.stop();
      await expect(store.ping()).rejects.toThrow();
      const refused = await domainError(store.increment('outage', 60_000, 5, 60_000));
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.retryAfterSeconds).toBe(UNAVAILABLE_RETRY_AFTER_SECONDS);

      await relay.resume();
      let record: StoreRecord | undefined;
      for (let i = 0; i < 100 && !record; i++) {
        record = await store.increment('outage', 60_000, 5, 60_000).catch(() => undefined);
        if (!record) await sleep(100);
      }
      expect(record).toMatchObject({ totalHits: 2, isBlocked: false });
    } finally {
      await relay.stop();
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
