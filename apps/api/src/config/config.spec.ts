import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './app-config';
import { loadConfig } from './config';

const secrets = {
  JWT_SECRET: 'j'.repeat(32),
  USER_ID_HASH_SECRET: 'u'.repeat(32),
  OTP_SECRET: 'o'.repeat(32),
  REFRESH_TOKEN_SECRET: 'r'.repeat(32),
};

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-config-'));
}

describe('loadConfig', () => {
  it('gives a laptop-friendly default for everything', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });

    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      dataDir,
      databaseUrl: undefined,
      storage: { driver: 'fs', root: path.join(dataDir, 'blobs') },
      limits: { maxFileSizeBytes: 1024 ** 4, userQuotaBytes: 10 * 1024 ** 3, globalQuotaBytes: 0, maxFilesPerUser: 10_000, dailyDownloadLimit: 3 },
      multipart: { thresholdBytes: 64 * 1024 ** 2, partFrames: 128, completeWaitMs: 20_000 },
      ttl: { presignSeconds: 900, downloadUrlSeconds: 120, accessTokenSeconds: 900, refreshTokenSeconds: 2_592_000, otpSeconds: 600 },
      otpMaxAttempts: 5,
      rateLimitEnabled: true,
      trustProxy: false,
      compatibleCliVersion: '1.1.0',
    });
  });

  it('generates development secrets once and reuses them on the next start', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });

    expect(second.secrets).toEqual(first.secrets);
    expect(new Set(Object.values(first.secrets)).size).toBe(4);
    expect(fs.statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('listens on all interfaces in production and takes the secrets from the environment', () => {
    const config = loadConfig({ APP_ENV: 'production', DATA_DIR: tempDir(), SMTP_URL: 'smtp://mail.example:25', ...secrets });

    expect(config.host).toBe('0.0.0.0');
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.secrets).toEqual({ jwt: secrets.JWT_SECRET, userIdHash: secrets.USER_ID_HASH_SECRET, otp: secrets.OTP_SECRET, refreshToken: secrets.REFRESH_TOKEN_SECRET });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be at most 65535 (got "70000")'],
    [{ APP_ENV: 'staging' }, 'APP_ENV must be development, production or test (got "staging")'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres or postgresql URL'],
    [{ RATE_LIMIT_ENABLED: 'maybe' }, 'RATE_LIMIT_ENABLED must be true or false (got "maybe")'],
    [{ STORAGE_DRIVER: 's3' }, 'S3_BUCKET is required when STORAGE_DRIVER is s3'],
    [{ S3_BUCKET: 'b' }, 'S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots and hyphens) (got "b")'],
    [{ S3_BUCKET: 'bucket', S3_ACCESS_KEY_ID: 'k' }, 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together'],
    [{ TRUST_PROXY: '10.0.0.0/8, bogus' }, 'TRUST_PROXY must be a comma-separated list'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters'],
  ])('refuses %j with one readable line', (env, message) => {
    const attempt = () => loadConfig({ DATA_DIR: tempDir(), ...env });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('never echoes a secret value in its error', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), JWT_SECRET: 'hunter2' })).toThrow(/^JWT_SECRET must be at least 32 characters$/);
  });

  it('reads METRICS_TOKEN as a secret (32+ characters, never echoed) and SHUTDOWN_GRACE_SECONDS with its default', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), METRICS_TOKEN: 'hunter2' })).toThrow(/^METRICS_TOKEN must be at least 32 characters$/);
    expect(loadConfig({ DATA_DIR: tempDir() })).toMatchObject({ metricsToken: undefined, shutdownGraceSeconds: 25 });
    expect(loadConfig({ DATA_DIR: tempDir(), METRICS_TOKEN: 'm'.repeat(32), SHUTDOWN_GRACE_SECONDS: '0' })).toMatchObject({ metricsToken: 'm'.repeat(32), shutdownGraceSeconds: 0 });
    expect(() => loadConfig({ DATA_DIR: tempDir(), SHUTDOWN_GRACE_SECONDS: '-1' })).toThrow('SHUTDOWN_GRACE_SECONDS must be a whole number');
  });

  it('reads REDIS_URL (redis or rediss, never echoed: it may hold a password) and REDIS_KEY_PREFIX with its default', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).redis).toBeUndefined();
    expect(loadConfig({ DATA_DIR: tempDir(), REDIS_URL: 'redis://:pw@cache:6379/2' }).redis).toEqual({ url: 'redis://:pw@cache:6379/2', keyPrefix: 'coffer:' });
    expect(loadConfig({ DATA_DIR: tempDir(), REDIS_URL: 'rediss://cache', REDIS_KEY_PREFIX: 'blue:' }).redis).toEqual({ url: 'rediss://cache', keyPrefix: 'blue:' });
    expect(() => loadConfig({ DATA_DIR: tempDir(), REDIS_URL: 'http://:hunter2@cache' })).toThrow(/^REDIS_URL must be a redis or rediss URL$/);
    expect(() => loadConfig({ DATA_DIR: tempDir(), REDIS_URL: 'redis://cache', REDIS_KEY_PREFIX: 'a b' })).toThrow(/^REDIS_KEY_PREFIX must be 1-64/);
  });

  it('names every missing secret when production has none', () => {
    expect(() => loadConfig({ APP_ENV: 'production', DATA_DIR: tempDir(), JWT_SECRET: secrets.JWT_SECRET })).toThrow(
      'USER_ID_HASH_SECRET, OTP_SECRET, REFRESH_TOKEN_SECRET must be set in production',
    );
  });

  it('chooses the s3 driver when a bucket is configured and path-style for custom endpoints', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), S3_BUCKET: 'coffer', S3_ENDPOINT: 'http://minio:9000', S3_PUBLIC_ENDPOINT: 'http://localhost:9000' });
    expect(config.storage).toEqual({
      driver: 's3',
      endpoint: 'http://minio:9000',
      publicEndpoint: 'http://localhost:9000',
      region: 'us-east-1',
      bucket: 'coffer',
      accessKeyId: undefined,
      secretAccessKey: undefined,
      forcePathStyle: true,
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATA_DIR: tempDir(), PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: undefined });
  });

  it('accepts trusted proxy addresses and subnets', () => {
    expect(loadConfig({ DATA_DIR: tempDir(), TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', 'loopback']);
  });

  describe('the admin token of DELETE /admin/reset', () => {
    it('is generated once into the development secrets file, beside the other secrets', () => {
      const dataDir = tempDir();
      const first = loadConfig({ DATA_DIR: dataDir });
      const second = loadConfig({ DATA_DIR: dataDir });
      const file = path.join(dataDir, 'secrets.json');

      expect(first.admin).toEqual({ token: expect.stringMatching(/^[\w-]{43}$/), generatedIn: file });
      expect(second.admin).toEqual(first.admin);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).adminToken).toBe(first.admin.token);
      expect(Object.values(first.secrets)).not.toContain(first.admin.token);
    });

    it('is added to a secrets file written before it existed, keeping the other secrets', () => {
      const dataDir = tempDir();
      const file = path.join(dataDir, 'secrets.json');
      const old = { jwt: 'j'.repeat(43), userIdHash: 'u'.repeat(43), otp: 'o'.repeat(43), refreshToken: 'r'.repeat(43) };
      fs.writeFileSync(file, JSON.stringify(old), { mode: 0o600 });

      const config = loadConfig({ DATA_DIR: dataDir });

      expect(config.secrets).toEqual(old);
      expect(config.admin.token).toHaveLength(43);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ ...old, adminToken: config.admin.token });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it('comes from ADMIN_TOKEN when set', () => {
      expect(loadConfig({ DATA_DIR: tempDir(), ADMIN_TOKEN: 'a'.repeat(32) }).admin).toEqual({ token: 'a'.repeat(32) });
    });

    it('is neither generated nor needed outside development (reset answers 403 there)', () => {
      expect(loadConfig({ APP_ENV: 'test', DATA_DIR: tempDir() }).admin).toEqual({});
      expect(loadConfig({ APP_ENV: 'production', DATA_DIR: tempDir(), SMTP_URL: 'smtp://mail.example:25', ...secrets }).admin).toEqual({});
    });

    it('must be 32+ characters, and its value is never echoed', () => {
      expect(() => loadConfig({ DATA_DIR: tempDir(), ADMIN_TOKEN: 'hunter2' })).toThrow(/^ADMIN_TOKEN must be at least 32 characters$/);
    });
  });

  describe('production', () => {
    const production = { APP_ENV: 'production', SMTP_URL: 'smtp://mail.example:25', ...secrets };
    // docker-compose.yml's trial defaults before it required a .env, and MinIO's own default.
    const composePlaceholders = {
      JWT_SECRET: 'change-me-jwt-secret-0123456789abcdef',
      USER_ID_HASH_SECRET: 'change-me-user-id-hash-0123456789abcdef',
      OTP_SECRET: 'change-me-otp-secret-0123456789abcdef',
      REFRESH_TOKEN_SECRET: 'change-me-refresh-0123456789abcdef',
    };

    it.each(Object.entries(composePlaceholders))('refuses the docker-compose placeholder of %s with one line naming it', (name, value) => {
      const attempt = () => loadConfig({ DATA_DIR: tempDir(), ...production, [name]: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(new RegExp(`^${name} is a published placeholder; set a random value of 32\\+ characters in production$`));
    });

    it.each([
      ['ADMIN_TOKEN', 'CHANGE-ME-' + 'x'.repeat(40)],
      ['JWT_SECRET', 'changeme' + 'x'.repeat(40)],
      ['S3_SECRET_ACCESS_KEY', 'coffer-minio-secret'],
      ['S3_SECRET_ACCESS_KEY', 'minioadmin'],
    ])('refuses any other placeholder (%s=%s)', (name, value) => {
      const s3 = { S3_BUCKET: 'coffer', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's'.repeat(40) };
      expect(() => loadConfig({ DATA_DIR: tempDir(), ...production, ...s3, [name]: value })).toThrow(`${name} is a published placeholder`);
    });

    it.each(['JWT_SECRET', 'USER_ID_HASH_SECRET', 'OTP_SECRET', 'REFRESH_TOKEN_SECRET', 'ADMIN_TOKEN'])('refuses a %s shorter than 32 characters', (name) => {
      expect(() => loadConfig({ DATA_DIR: tempDir(), ...production, [name]: 'x'.repeat(31) })).toThrow(`${name} must be at least 32 characters`);
    });

    it('requires SMTP_URL: verification codes must not end up in a log', () => {
      expect(() => loadConfig({ DATA_DIR: tempDir(), ...production, SMTP_URL: undefined })).toThrow(/^SMTP_URL must be set in production/);
    });

    it('serves no API docs unless API_DOCS_ENABLED', () => {
      expect(loadConfig({ DATA_DIR: tempDir(), ...production }).apiDocsEnabled).toBe(false);
      expect(loadConfig({ DATA_DIR: tempDir(), ...production, API_DOCS_ENABLED: 'true' }).apiDocsEnabled).toBe(true);
      expect(loadConfig({ DATA_DIR: tempDir() }).apiDocsEnabled).toBe(true);
      expect(loadConfig({ DATA_DIR: tempDir(), API_DOCS_ENABLED: 'false' }).apiDocsEnabled).toBe(false);
    });
  });
});
