import type { ErrorCode } from '@coffer/contract';
import { errorCodeOf, type ReceivedErrorBody } from './http-errors';

/** An HTTP answer as the API client received it, before it is judged. */
export interface RawResponse {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  body: unknown;
}

export function errorBodyOf(value: unknown): ReceivedErrorBody | undefined {
  return !!value && typeof value === 'object' && !Array.isArray(value) ? (value) : undefined;
}

/** The code of an error answer: the server's, or what its status stands for when it sent none. */
export function answerCode(response: RawResponse, codeless: Partial<Record<number, ErrorCode>> = {}): ErrorCode | undefined {
  return errorCodeOf(errorBodyOf(response.body)) ?? codeless[response.status];
}
