import { ConfigError } from './app-config';
import type { Env } from './config.schema';

/**
 * Example values that were published (docker-compose.yml's trial defaults, MinIO's own default):
 * with a published JWT secret anyone can forge a token for any account.
 */
const KNOWN_PLACEHOLDERS = new Set(['coffer-minio-secret', 'minioadmin']);
const PLACEHOLDER_PREFIXES = ['change-me', 'changeme', 'change_me'];

const SECRET_VARS = ['JWT_SECRET', 'USER_ID_HASH_SECRET', 'OTP_SECRET', 'REFRESH_TOKEN_SECRET', 'ADMIN_TOKEN', 'METRICS_TOKEN', 'S3_SECRET_ACCESS_KEY'] as const satisfies readonly (keyof Env)[];

export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  return KNOWN_PLACEHOLDERS.has(lower) || PLACEHOLDER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * What production refuses beyond the schema (which already wants 32+ characters of every server
 * secret): placeholder secrets, and no SMTP (codes would only reach the outbox and the log).
 */
export function refuseUnsafeProductionValues(env: Env): void {
  for (const name of SECRET_VARS) {
    const value = env[name];
    if (value !== undefined && isPlaceholder(value)) {
      throw new ConfigError(`${name} is a published placeholder; set a random value of 32+ characters in production`);
    }
  }
  if (!env.SMTP_URL) {
    throw new ConfigError('SMTP_URL must be set in production (without it verification codes are only written under DATA_DIR/outbox)');
  }
}
