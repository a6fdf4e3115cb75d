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
      limits: { maxFileSizeBytes: 5_000_000_000, userQuotaBytes: 10 * 1024 ** 3, globalQuotaBytes: 0, maxFilesPerUser: 10_000, dailyDownloadLimit: 3 },
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
    const config = loadConfig({ APP_ENV: 'production', DATA_DIR: tempDir(), ...secrets });

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
});
