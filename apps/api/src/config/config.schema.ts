import { z } from 'zod';

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

const url = (protocols: string[]) =>
  z.url({ error: 'must be a URL' }).refine((v) => protocols.includes(new URL(v).protocol), {
    error: `must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`,
  });

const secret = z.string().min(32, { error: 'must be at least 32 characters' });

/** Raw environment → validated values. Defaults that depend on other variables are resolved in config.ts. */
export const envSchema = z.object({
  APP_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  STORAGE_DRIVER: z.enum(['s3', 'fs'], { error: 'must be s3 or fs' }).optional(),
  S3_ENDPOINT: url(['http:', 'https:']).optional(),
  S3_PUBLIC_ENDPOINT: url(['http:', 'https:']).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be a bucket name (3-63 lowercase letters, digits, dots and hyphens)' })
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: boolean.optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().includes('@', { error: 'must contain an e-mail address' }).default('Coffer <no-reply@coffer.local>'),
  JWT_SECRET: secret.optional(),
  USER_ID_HASH_SECRET: secret.optional(),
  OTP_SECRET: secret.optional(),
  REFRESH_TOKEN_SECRET: secret.optional(),
  ADMIN_TOKEN: secret.optional(),
  METRICS_TOKEN: secret.optional(),
  SHUTDOWN_GRACE_SECONDS: int(0, 3600).default(25),
  MAX_FILE_SIZE_BYTES: int(1).default(1024 ** 4),
  // Multipart uploads (issue 19): opt-in at presign from this declared size; at most 5 GB, the single-PUT limit.
  MULTIPART_THRESHOLD_BYTES: int(1, 5_000_000_000).default(64 * 1024 ** 2),
  // Frames of 65,568 bytes per part: 80 is the fewest that make the 5 MiB S3 minimum, 81,884 the most under 5 GiB.
  MULTIPART_PART_FRAMES: int(80, 81_884).default(128),
  MULTIPART_COMPLETE_WAIT_MS: int(0, 50_000).default(20_000),
  USER_QUOTA_BYTES: int(1).default(10 * 1024 ** 3),
  GLOBAL_QUOTA_BYTES: int(0).default(0),
  MAX_FILES_PER_USER: int(1).default(10_000),
  DAILY_DOWNLOAD_LIMIT: int(1).default(3),
  PRESIGN_TTL_SECONDS: int(1, 7 * 24 * 3600).default(900),
  DOWNLOAD_URL_TTL_SECONDS: int(1, 7 * 24 * 3600).default(120),
  ACCESS_TOKEN_TTL_SECONDS: int(1).default(900),
  REFRESH_TOKEN_TTL_SECONDS: int(60).default(2_592_000),
  OTP_TTL_SECONDS: int(1).default(600),
  OTP_MAX_ATTEMPTS: int(1, 100).default(5),
  RATE_LIMIT_ENABLED: boolean.default(true),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, { error: 'must be 1-64 letters, digits or : _ . -' }).default('coffer:'),
  TRUST_PROXY: z.string().optional(),
  COMPATIBLE_CLI_VERSION: z.string().min(1).default('1.1.0'),
  API_DOCS_ENABLED: boolean.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be a pino level' }).default('info'),
});

export type Env = z.infer<typeof envSchema>;
