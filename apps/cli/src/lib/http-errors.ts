import { isErrorCode, type ErrorCode } from '@coffer/contract';
import { CliError } from './errors';
import { formatDuration } from './format';

/**
 * An error body as received: a Coffer server sends `{"error", "code"}` (docs/API.md); another
 * server may send either, neither, or an unknown code.
 */
export interface ReceivedErrorBody {
  error?: string;
  code?: string;
}

/** What a Coffer server answered, or `undefined` when the answer carries no code we know. */
export function errorCodeOf(body: ReceivedErrorBody | undefined): ErrorCode | undefined {
  return isErrorCode(body?.code) ? body.code : undefined;
}

/** Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), if it has one. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** "try again in 3 h 12 min (at 2026-01-02 14:05 UTC)" or a generic "try again later". */
export function retryHint(retryAfterSec: number | undefined, nowMs: number): string {
  if (retryAfterSec === undefined) return 'Try again later.';
  const at = new Date(nowMs + retryAfterSec * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return `Try again in ${formatDuration(retryAfterSec)} (at ${at} UTC).`;
}

export interface FailureContext {
  /** What was being done, e.g. "upload of report.pdf" or "login". */
  what: string;
  server: string;
  nowMs: number;
}

/** One HTTP error answer of the API. */
export interface ErrorAnswer {
  status: number;
  body: ReceivedErrorBody | undefined;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
}

/**
 * A CliError for an HTTP error answer, decided on the server's code. Callers handle the codes
 * whose meaning depends on the endpoint (INVALID_CREDENTIALS at login, NOT_FOUND for a link)
 * before falling back to this. The status decides only when the answer has no code we know
 * (a stock Hashdrop server sends none).
 */
export function httpFailure(answer: ErrorAnswer, ctx: FailureContext): CliError {
  const code = errorCodeOf(answer.body);
  return (code && codeFailure(code, answer, ctx)) || statusFailure(answer, ctx);
}

function codeFailure(code: ErrorCode, answer: ErrorAnswer, ctx: FailureContext): CliError | undefined {
  const detail = answer.body?.error ? `: ${answer.body.error}` : '';
  const failed = `${ctx.what} failed`;
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'MALFORMED_JSON':
      return new CliError(`${failed}: the server refused the request${detail}`, 'Check the arguments; run with --verbose for details.');
    case 'INVALID_TOKEN':
    case 'UNAUTHORIZED':
      return new CliError(`${failed}: you are not logged in, or your session expired or was revoked`, 'Run `coffer auth login`.');
    // The server's sentence (the detail) says which of the two limits it is; the hint differs.
    case 'QUOTA_EXCEEDED':
      return new CliError(`${failed}: your storage quota or file limit is reached${detail}`, 'See `coffer usage`; free space with `coffer files delete <id>`.');
    case 'FILE_COUNT_LIMIT':
      return new CliError(`${failed}: your storage quota or file limit is reached${detail}`, 'Delete files with `coffer files delete <id>`; see `coffer usage`.');
    case 'NOT_FOUND':
      return new CliError(`${failed}: not found${detail}`, 'Check the id or link; `coffer files list` shows your files.');
    case 'AMBIGUOUS_ID':
      return new CliError(`${failed}: the id prefix matches several files${detail}`, 'Give more characters of the id; `coffer files list` shows them.');
    case 'FILE_TOO_LARGE':
    case 'UPLOAD_OVER_QUOTA':
    case 'PAYLOAD_TOO_LARGE':
      return new CliError(`${failed}: the file is too large for this server${detail}`, 'See `coffer usage` for the per-file limit and your remaining quota.');
    case 'RATE_LIMITED':
    case 'TOO_MANY_ATTEMPTS':
    case 'DOWNLOAD_LIMIT':
      return new CliError(`${failed}: too many requests${detail}`, retryHint(parseRetryAfter(answer.retryAfter, ctx.nowMs), ctx.nowMs));
    case 'STORAGE_FULL':
      return new CliError(`${failed}: the server's storage is full${detail}`, 'Try again later, or contact the server operator.');
    case 'SERVICE_UNAVAILABLE':
    case 'MAIL_UNAVAILABLE':
      return new CliError(`${failed}: the server is unavailable${detail}`, 'Try again later, or contact the server operator.');
    default:
      // INTERNAL_ERROR and codes that only make sense on one endpoint: the status says enough.
      return undefined;
  }
}

/** The meaning of a status alone, for answers without a code. */
function statusFailure(answer: ErrorAnswer, ctx: FailureContext): CliError {
  const { status } = answer;
  const detail = answer.body?.error ? `: ${answer.body.error}` : '';
  switch (status) {
    case 400:
      return new CliError(`${ctx.what} failed: the server refused the request${detail}`, 'Check the arguments; run with --verbose for details.');
    case 401:
      return new CliError(`${ctx.what} failed: you are not logged in, or your session expired or was revoked`, 'Run `coffer auth login`.');
    case 403:
      return new CliError(
        `${ctx.what} failed: your storage quota or file limit is reached${detail}`,
        'See `coffer usage`; free space with `coffer files delete <id>`.',
      );
    case 404:
      return new CliError(`${ctx.what} failed: not found${detail}`, 'Check the id or link; `coffer files list` shows your files.');
    case 409:
      return new CliError(`${ctx.what} failed: conflict${detail}`, 'Try again; run with --verbose for details.');
    case 413:
      return new CliError(
        `${ctx.what} failed: the file is too large for this server${detail}`,
        'See `coffer usage` for the per-file limit and your remaining quota.',
      );
    case 429:
      return new CliError(`${ctx.what} failed: too many requests${detail}`, retryHint(parseRetryAfter(answer.retryAfter, ctx.nowMs), ctx.nowMs));
    case 503:
      return new CliError(`${ctx.what} failed: the server is unavailable or its storage is full${detail}`, 'Try again later, or contact the server operator.');
    default:
      if (status >= 500) return new CliError(`${ctx.what} failed: the server had an error (HTTP ${status})`, 'Try again later; if it persists, tell the server operator.');
      return new CliError(`${ctx.what} failed: unexpected answer HTTP ${status}${detail}`, 'Run with --verbose for details.');
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no data in time',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host',
};

/** The errno-style code of a network failure from `fetch` (in `cause`) or `node:http`. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkErrorCode).find(Boolean);
      if (inner) return inner;
    }
  }
  return undefined;
}

const SERVER_HINT = 'Check the server URL (--server, COFFER_SERVER or `coffer config set-server`), that the server is running, and your network.';

/** A CliError for a failed connection to `url`, or `undefined` when `error` is not a network error. */
export function networkFailure(error: unknown, url: string, what: string, hint = SERVER_HINT): CliError | undefined {
  const code = networkErrorCode(error);
  if (!code) return undefined;
  const origin = safeOrigin(url);
  return new CliError(
    `${what} failed: cannot reach the server at ${origin} (${NETWORK_CODES[code]})`,
    hint,
    undefined,
    { cause: error },
  );
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
