import type { ErrorBody, ErrorCode } from '@coffer/contract';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable';
import { DomainError } from './domain-error';

/** The HTTP status of every error code: the one table, docs/API.md lists it too. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  CODE_EXPIRED: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_CODE: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 403,
  FILE_COUNT_LIMIT: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_REGISTERED: 409,
  UPLOAD_INCOMPLETE: 409,
  PART_MISMATCH: 409,
  UPLOAD_COMPLETING: 409,
  AMBIGUOUS_ID: 409,
  PAYLOAD_TOO_LARGE: 413,
  FILE_TOO_LARGE: 413,
  UPLOAD_OVER_QUOTA: 413,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  TOO_MANY_ATTEMPTS: 429,
  DOWNLOAD_LIMIT: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  STORAGE_FULL: 503,
  MAIL_UNAVAILABLE: 503,
  KEY_VERSION_CONFLICT: 409,
  KEY_MISMATCH: 409,
  CSRF_FAILED: 403,
} as const satisfies Record<ErrorCode, number>;

/** Statuses of errors that are not DomainErrors (routing, Express), and the code they get. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The one place that turns failures into docs/API.md's `{"error", "code"}` bodies. Anything it does
 * not recognise is a 500 with a generic sentence: stack traces, SQL and storage details stay in
 * the server log.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body, headers } = this.toResponse(exception);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).set(headers).json(body);
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof DomainError) {
      const headers: Record<string, string> = exception.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(exception.retryAfterSeconds) };
      return { status: ERROR_STATUS[exception.code], body: { error: exception.message, code: exception.code }, headers };
    }
    if (exception instanceof HttpException) {
      // Express and body-parser errors reach us wrapped; their messages are parser internals.
      const parserError = bodyParserError(exception.cause);
      if (parserError) return { ...parserError, headers: {} };
      const status = exception.getStatus();
      return { status, body: { error: httpMessage(exception), code: CODE_BY_STATUS[status] ?? codeForClass(status) }, headers: {} };
    }
    const parserError = bodyParserError(exception);
    if (parserError) return { ...parserError, headers: {} };
    if (isDatabaseUnavailable(exception)) {
      this.logDatabaseUnavailable(exception);
      return {
        status: 503,
        body: { error: 'The database cannot be reached right now; try again shortly', code: 'SERVICE_UNAVAILABLE' },
        headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      };
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return { status: 500, body: { error: 'Internal server error', code: 'INTERNAL_ERROR' }, headers: {} };
  }

  private databaseLog = { lastAt: 0, unlogged: 0 };

  /** One line per 10 s at most: an outage under load would otherwise log every request. */
  private logDatabaseUnavailable(exception: unknown): void {
    const now = Date.now();
    if (now - this.databaseLog.lastAt < 10_000) {
      this.databaseLog.unlogged += 1;
      return;
    }
    const more = this.databaseLog.unlogged > 0 ? ` (and ${this.databaseLog.unlogged} more requests since the last such line)` : '';
    this.databaseLog = { lastAt: now, unlogged: 0 };
    const reason = ((exception as Error).message ?? String(exception)).trim().split('\n').at(-1);
    this.logger.warn(`answered 503: the database cannot be reached: ${reason}${more}`);
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function codeForClass(status: number): ErrorCode {
  return status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED';
}

/** body-parser's errors (malformed JSON, oversized body, bad charset) carry a status and a type. */
function bodyParserError(exception: unknown): { status: number; body: ErrorBody } | undefined {
  const e = exception as { status?: unknown; type?: unknown } | undefined;
  if (e instanceof URIError) return { status: 400, body: { error: 'Request path is not valid percent-encoding', code: 'VALIDATION_FAILED' } };
  if (typeof e?.status !== 'number' || typeof e.type !== 'string' || e.status < 400 || e.status >= 500) return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, body: { error: 'Request body is not valid JSON', code: 'MALFORMED_JSON' } };
    case 'entity.too.large':
      return { status: 413, body: { error: 'Request body is larger than 1 MiB', code: 'PAYLOAD_TOO_LARGE' } };
    default:
      return { status: e.status, body: { error: 'Request body cannot be read', code: CODE_BY_STATUS[e.status] ?? 'VALIDATION_FAILED' } };
  }
}
