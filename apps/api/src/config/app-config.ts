import { StartupError } from '../common/startup-error';

export type AppEnv = 'development' | 'production' | 'test';

export interface Secrets {
  jwt: string;
  userIdHash: string;
  otp: string;
  refreshToken: string;
}

export type StorageConfig =
  | { driver: 'fs'; root: string }
  | {
      driver: 's3';
      endpoint?: string;
      publicEndpoint?: string;
      region: string;
      bucket: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
    };

export interface Limits {
  maxFileSizeBytes: number;
  userQuotaBytes: number;
  /** 0 means unlimited. */
  globalQuotaBytes: number;
  maxFilesPerUser: number;
  dailyDownloadLimit: number;
}

/** Multipart uploads (issue 19; docs/API.md "Multipart uploads"). */
export interface MultipartConfig {
  /** A presign with `multipart: true` and at least this declared size gets a multipart upload. */
  thresholdBytes: number;
  /** Encrypted frames per part (raised for files that would otherwise need more than 10,000 parts). */
  partFrames: number;
  /** How long complete waits for a storage join before answering 202. */
  completeWaitMs: number;
}

export interface Lifetimes {
  presignSeconds: number;
  downloadUrlSeconds: number;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  otpSeconds: number;
}

/** The one typed configuration of the server, built once at boot by `loadConfig`. */
export interface AppConfig {
  env: AppEnv;
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl?: string;
  storage: StorageConfig;
  mail: { smtpUrl?: string; from: string; outboxDir: string };
  secrets: Secrets;
  limits: Limits;
  multipart: MultipartConfig;
  ttl: Lifetimes;
  otpMaxAttempts: number;
  rateLimitEnabled: boolean;
  /** Shared rate-limit counters for several replicas; unset = counters in this process. */
  redis?: RedisConfig;
  /** Express `trust proxy` value: false, or a list of addresses/subnets. */
  trustProxy: false | string[];
  compatibleCliVersion: string;
  logLevel: string;
  /** `DELETE /admin/reset` (development only) needs this token; unset outside development. */
  admin: AdminTokenConfig;
  /** `GET /metrics` answers `Authorization: Bearer <token>`; unset: production answers 404, development and test only loopback clients. */
  metricsToken?: string;
  /** How long SIGTERM/SIGINT waits for in-flight requests and running jobs before cutting them. */
  shutdownGraceSeconds: number;
  /** The OpenAPI UI and JSON at /api/docs; off in production unless API_DOCS_ENABLED. */
  apiDocsEnabled: boolean;
  /**
   * Cheaper Argon2id for login passwords, honoured only when `env` is 'test'. The environment
   * cannot set it (`loadConfig` never does): test helpers put it into the config they build.
   */
  testPasswordHashCost?: PasswordHashCost;
}

export interface RedisConfig {
  url: string;
  /** Prefix of every key the server writes, so one Redis can serve several deployments. */
  keyPrefix: string;
}

/** Argon2id cost of login password hashes; `memoryCost` is in KiB. */
export interface PasswordHashCost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface AdminTokenConfig {
  token?: string;
  /** The development secrets file the token was generated into (JSON key `adminToken`); unset when it came from ADMIN_TOKEN. */
  generatedIn?: string;
}

/** Thrown for any configuration the server cannot start with; its message is one readable line. */
export class ConfigError extends StartupError {
  override readonly name = 'ConfigError';
}

export const APP_CONFIG = Symbol('APP_CONFIG');
