import type { ErrorCode } from '@coffer/contract';

export type { ErrorCode } from '@coffer/contract';

/**
 * Every failure a client can cause or observe. Services throw `DomainError(code, message)`; only
 * the global filter (error.filter.ts) knows which HTTP status a code is answered with.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** When a retry can succeed; the filter answers it as `Retry-After` (seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
