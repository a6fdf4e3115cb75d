import { randomBytes, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createTestDatabase, serverUrl, TestDatabase } from '../../../../test/helpers/database';
import { connectTestRedis, deleteKeys, testRedisUrl, uniqueKeyPrefix } from '../../../../test/helpers/redis';
import { SmtpCapture } from '../../../../test/helpers/smtp-capture';
import { Answer, Replica, request, RoundRobinProxy } from './replicas.e2e-helpers';

const DAILY_DOWNLOAD_LIMIT = 3;
const USER_QUOTA_BYTES = 1000;
const PASSWORD = 'correct horse battery staple';

// Two processes need one database they can both reach: PostgreSQL, not the embedded one.
const describeWithPostgres = serverUrl() ? describe : describe.skip;

describeWithPostgres('two API replicas behind a round-robin proxy, sharing PostgreSQL, storage and Redis', () => {
  let db: TestDatabase;
  let mail: SmtpCapture;
  let redis: Redis;
  let proxy: RoundRobinProxy;
  let prefix: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    [db, mail, redis, proxy] = await Promise.all([createTestDatabase(), SmtpCapture.start(), connectTestRedis(), RoundRobinProxy.start()]);
    prefix = uniqueKeyPrefix();
    const env = {
      APP_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url!,
      // One DATA_DIR: the fs driver's blobs are shared storage, as a volume would be.
      DATA_DIR: db.dataDir,
      PUBLIC_URL: proxy.url,
      SMTP_URL: mail.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_ENABLED: 'true',
      TRUST_PROXY: 'loopback',
      DAILY_DOWNLOAD_LIMIT: String(DAILY_DOWNLOAD_LIMIT),
      USER_QUOTA_BYTES: String(USER_QUOTA_BYTES),
      JWT_SECRET: secret(),
      USER_ID_HASH_SECRET: secret(),
      OTP_SECRET: secret(),
      REFRESH_TOKEN_SECRET: secret(),
    };
    replicas.push(...(await Promise.all([Replica.start(env), Replica.start(env)])));
    proxy.targets = replicas.map((r) => r.port);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy?.close();
    await mail?.stop();
    if (redis) {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
    await db?.drop();
  }, 60_000);

  /** Each scenario comes from a client address of its own, so the per-address limits do not mix. */
  let clients = 0;
  function client(): Record<string, string> {
    return { 'X-Forwarded-For': `198.51.100.${++clients}` };
  }

  async function registeredUser(from: Record<string, string>): Promise<{ email: string; access_token: string; refresh_token: string }> {
    const email = `replica-${randomUUID()}@example.com`;
    const after = mail.messages.length;
    expect((await request(proxy.url, 'POST', '/api/user/register', { body: { email, password: PASSWORD }, headers: from })).status).toBe(201);
    const otp = await mail.codeFor(email, { after });
    expect((await request(proxy.url, 'PATCH', '/api/user/verify', { body: { email, otp }, headers: from })).status).toBe(204);
    const login = await request(proxy.url, 'POST', '/api/user/login', { body: { email, password: PASSWORD }, headers: from });
    expect(login.status).toBe(200);
    return { email, ...login.body };
  }

  it('reports Redis in readiness on every replica', async () => {
    for (const replica of [0, 1]) {
      const ready = await request(proxy.url, 'GET', '/api/readyz', { replica });
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { database: 'ok', storage: 'ok', rate_limits: 'ok' } });
    }
  });

  it('holds the login limit across both replicas: ten guesses, then 429 with Retry-After whichever replica answers', async () => {
    const from = client();
    const answers: Answer[] = [];
    for (let i = 0; i < 12; i++) {
      answers.push(await request(proxy.url, 'POST', '/api/user/login', { body: { email: `nobody-${i}@example.com`, password: 'wrong password' }, headers: from }));
    }
    const [allowed, refused] = [answers.slice(0, 10), answers.slice(10)];
    expect(allowed.map((a) => a.status)).toEqual(Array(10).fill(401));
    expect(allowed.map((a) => a.headers.get('RateLimit-Remaining'))).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    expect(new Set(allowed.map((a) => a.servedBy))).toEqual(new Set([0, 1]));
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.body.code).toBe('RATE_LIMITED');
      expect(Number(answer.headers.get('Retry-After'))).toBeGreaterThan(0);
    }
    expect(new Set(refused.map((a) => a.servedBy))).toEqual(new Set([0, 1]));
  });

  it('holds the per-account password budget across replicas and client addresses: the eleventh check is refused unchecked', async () => {
    // Its registration's login checked the password once: nine guesses are left.
    const user = await registeredUser(client());
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push(await request(proxy.url, 'POST', '/api/user/login', { body: { email: user.email, password: `guess ${i}` }, headers: client() }));
    }
    expect(answers.slice(0, 9).map((a) => a.status)).toEqual(Array(9).fill(401));
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set([0, 1]));
    expect(answers[9].status).toBe(429);
    expect(answers[9].body.code).toBe('RATE_LIMITED');
    // Even the right password waits out the budget.
    const right = await request(proxy.url, 'POST', '/api/user/login', { body: { email: user.email, password: PASSWORD }, headers: client() });
    expect(right.status).toBe(429);
  });

  it('ends a login on every replica at once: revoked through one, its access token is refused by the other', async () => {
    const user = await registeredUser(client());
    expect((await request(proxy.url, 'GET', '/api/files/all', { token: user.access_token, replica: 1 })).status).toBe(200);

    expect((await request(proxy.url, 'POST', '/api/token/revoke', { body: { refresh_token: user.refresh_token }, replica: 0 })).status).toBe(204);

    const after = await request(proxy.url, 'GET', '/api/files/all', { token: user.access_token, replica: 1 });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('INVALID_TOKEN');
  });

  it('counts downloads of one link across replicas against one daily limit', async () => {
    const user = await registeredUser(client());
    const key = await upload(user.access_token, 100);
    const from = client();
    const answers: Answer[] = [];
    for (let i = 0; i < DAILY_DOWNLOAD_LIMIT + 2; i++) answers.push(await request(proxy.url, 'GET', `/files/download/${key}`, { headers: from }));

    expect(answers.map((a) => a.status)).toEqual([...Array(DAILY_DOWNLOAD_LIMIT).fill(303), 429, 429]);
    expect(answers.slice(DAILY_DOWNLOAD_LIMIT).map((a) => a.body.code)).toEqual(['DOWNLOAD_LIMIT', 'DOWNLOAD_LIMIT']);
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set([0, 1]));
  });

  it('never reserves past the quota when presigns race on both replicas', async () => {
    const user = await registeredUser(client());
    const size = 300;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        request(proxy.url, 'POST', '/api/files/presign', {
          token: user.access_token,
          body: { file_name: `race-${i}.bin`, mime_type: 'application/octet-stream', size },
          replica: i % 2,
        }),
      ),
    );
    const granted = answers.filter((a) => a.status === 200);
    expect(granted).toHaveLength(Math.floor(USER_QUOTA_BYTES / size));
    expect(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.code}`)).toEqual(Array(12 - granted.length).fill('403 QUOTA_EXCEEDED'));
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set([0, 1]));

    const usage = await request(proxy.url, 'GET', '/api/user/usage', { token: user.access_token });
    expect(usage.body.reserved_bytes).toBe(granted.length * size);
    expect(usage.body.reserved_bytes).toBeLessThanOrEqual(USER_QUOTA_BYTES);
  });

  /** presign (declaring the size) → PUT through the proxy (the fs driver's URL) → complete; the link key. */
  async function upload(token: string, size: number): Promise<string> {
    const bytes = randomBytes(size);
    const presigned = await request(proxy.url, 'POST', '/api/files/presign', {
      token,
      body: { file_name: 'shared.bin', mime_type: 'application/octet-stream', size },
    });
    expect(presigned.status).toBe(200);
    const { url, headers } = presigned.body.upload_resource as { url: string; headers: Record<string, string> };
    expect(url.startsWith(proxy.url)).toBe(true);
    const put = await fetch(url, { method: 'PUT', headers, body: bytes });
    expect(put.status).toBe(200);
    const completed = await request(proxy.url, 'POST', '/api/files/complete', {
      token,
      body: { file_id: presigned.body.file_id, plaintext_hash: '', plaintext_size_bytes: size - 32, passphrase_salt: '' },
    });
    expect(completed.status).toBe(200);
    return completed.body.s3_object_key as string;
  }
});

function secret(): string {
  return randomBytes(32).toString('base64url');
}
