import path from 'node:path';
import { z } from 'zod';
import { AdminTokenConfig, AppConfig, ConfigError, Secrets } from './app-config';
import { envSchema, Env } from './config.schema';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { refuseUnsafeProductionValues } from './production-checks';

const SECRET_VARS = {
  jwt: 'JWT_SECRET',
  userIdHash: 'USER_ID_HASH_SECRET',
  otp: 'OTP_SECRET',
  refreshToken: 'REFRESH_TOKEN_SECRET',
} as const satisfies Record<keyof Secrets, keyof Env>;

/**
 * Parses and validates the environment once. This is the only place that reads `process.env`;
 * everything else receives the typed `AppConfig`.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const env = parseEnv(source);
  const host = env.HOST ?? (env.APP_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');
  const dataDir = path.resolve(env.DATA_DIR);
  const serverSecrets = secrets(env, dataDir);
  if (env.APP_ENV === 'production') refuseUnsafeProductionValues(env);
  return {
    env: env.APP_ENV,
    host,
    port: env.PORT,
    publicUrl: (env.PUBLIC_URL ?? `http://${displayHost(host)}:${env.PORT}`).replace(/\/+$/, ''),
    dataDir,
    databaseUrl: env.DATABASE_URL,
    storage: storageConfig(env, dataDir),
    mail: { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, outboxDir: path.join(dataDir, 'outbox') },
    secrets: serverSecrets,
    limits: {
      maxFileSizeBytes: env.MAX_FILE_SIZE_BYTES,
      userQuotaBytes: env.USER_QUOTA_BYTES,
      globalQuotaBytes: env.GLOBAL_QUOTA_BYTES,
      maxFilesPerUser: env.MAX_FILES_PER_USER,
      dailyDownloadLimit: env.DAILY_DOWNLOAD_LIMIT,
    },
    multipart: {
      thresholdBytes: env.MULTIPART_THRESHOLD_BYTES,
      partFrames: env.MULTIPART_PART_FRAMES,
      completeWaitMs: env.MULTIPART_COMPLETE_WAIT_MS,
    },
    ttl: {
      presignSeconds: env.PRESIGN_TTL_SECONDS,
      downloadUrlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
      accessTokenSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      otpSeconds: env.OTP_TTL_SECONDS,
    },
    otpMaxAttempts: env.OTP_MAX_ATTEMPTS,
    rateLimitEnabled: env.RATE_LIMIT_ENABLED,
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
    compatibleCliVersion: env.COMPATIBLE_CLI_VERSION,
    logLevel: env.LOG_LEVEL,
    admin: adminToken(env, dataDir),
    metricsToken: env.METRICS_TOKEN,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    apiDocsEnabled: env.API_DOCS_ENABLED ?? env.APP_ENV !== 'production',
  };
}

function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable means "not set", as in most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue.path[0]);
  const shown = SECRET_VARS_SET.has(name) ? '' : ` (got "${present[name]}")`;
  throw new ConfigError(`${name} ${issue.message}${shown}`);
}

const SECRET_VARS_SET = new Set<string>([...Object.values(SECRET_VARS), 'ADMIN_TOKEN', 'METRICS_TOKEN', 'S3_SECRET_ACCESS_KEY', 'DATABASE_URL', 'SMTP_URL', 'REDIS_URL']);

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function storageConfig(env: Env, dataDir: string): AppConfig['storage'] {
  const driver = env.STORAGE_DRIVER ?? (env.S3_BUCKET ? 's3' : 'fs');
  if (driver === 'fs') return { driver, root: path.join(dataDir, 'blobs') };
  if (!env.S3_BUCKET) throw new ConfigError('S3_BUCKET is required when STORAGE_DRIVER is s3');
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  return {
    driver,
    endpoint: env.S3_ENDPOINT,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    // Custom endpoints (MinIO, s3rver, most self-hosted stores) only speak path-style.
    forcePathStyle: env.S3_FORCE_PATH_STYLE ?? Boolean(env.S3_ENDPOINT),
  };
}

function secrets(env: Env, dataDir: string): Secrets {
  const given = Object.fromEntries(
    Object.entries(SECRET_VARS).map(([key, variable]) => [key, env[variable]]),
  ) as Record<keyof Secrets, string | undefined>;
  const missing = (Object.keys(SECRET_VARS) as (keyof Secrets)[]).filter((k) => !given[k]);
  if (missing.length === 0) return given as Secrets;
  if (env.APP_ENV === 'production') {
    throw new ConfigError(`${missing.map((k) => SECRET_VARS[k]).join(', ')} must be set in production (32+ random characters each)`);
  }
  const file = loadOrCreateDevSecrets(devSecretsFile(dataDir));
  const generated: Secrets = { jwt: file.jwt, userIdHash: file.userIdHash, otp: file.otp, refreshToken: file.refreshToken };
  return { ...generated, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v)) };
}

/** Reset is development-only, so only development generates a token when ADMIN_TOKEN is unset. */
function adminToken(env: Env, dataDir: string): AdminTokenConfig {
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN };
  if (env.APP_ENV !== 'development') return {};
  const file = devSecretsFile(dataDir);
  return { token: loadOrCreateDevSecrets(file).adminToken, generatedIn: file };
}

function devSecretsFile(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

function trustProxy(value: string | undefined): false | string[] {
  if (!value) return false;
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (!z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6(), z.enum(['loopback', 'linklocal', 'uniquelocal'])]).safeParse(entry).success) {
      throw new ConfigError(`TRUST_PROXY must be a comma-separated list of IP addresses, subnets or loopback/linklocal/uniquelocal (got "${entry}")`);
    }
  }
  return entries;
}
