export type ComponentState = 'ok' | 'down';

/** `GET /api/readyz` [ext]: the same shape with 200 and 503. */
export interface ReadinessResponse {
  database: ComponentState;
  storage: ComponentState;
  /** Only with REDIS_URL: whether Redis, which holds the rate-limit counters, answers. */
  rate_limits?: ComponentState;
}

/** `GET /api/cli/version`. */
export interface CliVersionResponse {
  compatible_version: string;
}
