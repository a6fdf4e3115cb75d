import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { DomainError } from '../../common/domain-error';
import { StartupError } from '../../common/startup-error';
import type { RedisConfig } from '../../config/app-config';

/**
 * The counting rules of @nestjs/throttler's in-memory `ThrottlerStorageService.increment`, in
 * one script so that every replica's request is counted atomically: hits are a sliding window
 * (each expires `ttl` after it was made); the first hit past `limit` blocks the key for
 * `blockDuration`, during which requests add no hits; the first request after the block starts
 * afresh with one hit. `timeToExpire` follows a fixed window renewed when it has run out. The
 * clock is Redis's own, so replicas with skewed clocks still agree. Both keys expire when
 * nothing in them can matter any more.
 *
 * KEYS: state hash, hits sorted set (score = expiry in ms). ARGV: ttl ms, limit, block ms.
 * Returns { totalHits, timeToExpire, isBlocked (0/1), timeToBlockExpire (0 unless blocked) } in seconds.
 */
export const INCREMENT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'expiresAt', 'blockExpiresAt', 'blocked', 'seq')
local expiresAt = tonumber(state[1]) or (now + ttl)
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'
local seq = tonumber(state[4]) or 0
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local hits = redis.call('ZCARD', KEYS[2])
local function hit()
  seq = seq + 1
  redis.call('ZADD', KEYS[2], now + ttl, seq)
  hits = hits + 1
end
local timeToExpire = math.ceil((expiresAt - now) / 1000)
if timeToExpire <= 0 then
  expiresAt = now + ttl
  timeToExpire = math.ceil(ttl / 1000)
end
if not blocked then hit() end
if hits > limit and not blocked then
  blocked = true
  blockExpiresAt = now + block
end
local timeToBlockExpire = math.ceil((blockExpiresAt - now) / 1000)
if timeToBlockExpire <= 0 and blocked then
  blocked = false
  redis.call('DEL', KEYS[2])
  hits = 0
  hit()
end
redis.call('HSET', KEYS[1], 'expiresAt', expiresAt, 'blockExpiresAt', blockExpiresAt, 'blocked', blocked and '1' or '0', 'seq', seq)
local keepUntil = now + ttl
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
redis.call('PEXPIREAT', KEYS[1], keepUntil)
redis.call('PEXPIREAT', KEYS[2], keepUntil)
return { hits, timeToExpire, blocked and 1 or 0, blocked and timeToBlockExpire or 0 }
`;

type IncrementReply = [number, number, number, number];

interface ScriptedRedis extends Redis {
  cofferRateLimit(state: string, hits: string, ttl: number, limit: number, block: number): Promise<IncrementReply>;
}

/** How long a client is told to wait when the counters cannot be reached. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Rate-limit counters shared by every replica through Redis (`REDIS_URL`). When Redis cannot
 * answer, a limited request is refused with 503 SERVICE_UNAVAILABLE rather than let through:
 * these limits are the password-guess and mail budgets, and an outage must not switch them off.
 */
export class RedisRateLimitStore implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: ScriptedRedis;
  private failing = false;
  /** Until the first connection, a failure is the start's to report (StartupError), not the log's. */
  private connected = false;
  private lastError?: Error;

  constructor(private readonly config: RedisConfig) {
    this.redis = new Redis(config.url, {
      lazyConnect: true,
      // Fail fast while disconnected: a request waits for no queue, it is answered 503.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    }) as ScriptedRedis;
    this.redis.defineCommand('cofferRateLimit', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis.on('error', (err: Error) => {
      this.lastError = err;
      this.down(err);
    });
    this.redis.on('ready', () => {
      this.connected = true;
      this.up();
    });
  }

  /**
   * Connects before the server listens, so a wrong REDIS_URL stops the start with one line (from
   * a lifecycle hook, not the provider factory, whose errors Nest logs with a stack trace).
   */
  onModuleInit(): Promise<void> {
    return this.connect();
  }

  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      // connect() only says "Connection is closed"; the error event said why.
      const reason = (this.lastError ?? (err as Error)).message;
      throw new StartupError(`cannot connect to Redis at ${redact(this.config.url)}: ${reason}`);
    }
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number): ReturnType<ThrottlerStorage['increment']> {
    // The braces are a Redis Cluster hash tag: both keys of one counter live on one node.
    const base = `${this.config.keyPrefix}rl:{${key}}`;
    let reply: IncrementReply;
    try {
      reply = await this.redis.cofferRateLimit(base, `${base}:hits`, ttl, limit, blockDuration);
    } catch (err) {
      this.down(err as Error);
      throw new DomainError('SERVICE_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly', UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
    // A failure without a lost connection (a refused command, a timeout) ends with the next answer.
    this.up();
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = reply;
    return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
  }

  /** For readiness: Redis answers now. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private up(): void {
    if (this.failing) this.logger.warn('Redis answers again; rate limits are counted again');
    this.failing = false;
  }

  /** One log line per outage, not one per refused request. */
  private down(err: Error): void {
    if (this.failing || !this.connected) return;
    this.failing = true;
    this.logger.error(`Redis is unreachable; rate-limited routes answer 503 until it is back: ${err.message}`);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  if (parsed.username) parsed.username = '***';
  return parsed.toString();
}
