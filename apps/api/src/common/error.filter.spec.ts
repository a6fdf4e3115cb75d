import { ERROR_CODES } from '@coffer/contract';
import { ArgumentsHost, Logger, NotFoundException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { ERROR_STATUS, ErrorFilter } from './error.filter';

interface Answer {
  status?: number;
  headers: Record<string, string>;
  body?: unknown;
}

function answer(exception: unknown): Answer {
  const result: Answer = { headers: {} };
  const res = {
    headersSent: false,
    status(code: number) {
      result.status = code;
      return res;
    },
    set(headers: Record<string, string>) {
      Object.assign(result.headers, headers);
      return res;
    },
    json(body: unknown) {
      result.body = body;
      return res;
    },
  };
  new ErrorFilter().catch(exception, { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost);
  return result;
}

describe('ErrorFilter', () => {
  it('has a status for every code of the contract, all of them 4xx or 5xx', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    for (const status of Object.values(ERROR_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
  });

  it('answers a DomainError with its code, its message and the status of the table', () => {
    expect(answer(new DomainError('AMBIGUOUS_ID', 'The id prefix "3" matches 2 files'))).toEqual({
      status: 409,
      headers: {},
      body: { error: 'The id prefix "3" matches 2 files', code: 'AMBIGUOUS_ID' },
    });
  });

  it('turns retryAfterSeconds into a Retry-After header', () => {
    const result = answer(new DomainError('DOWNLOAD_LIMIT', 'limit reached', 3600));
    expect(result.status).toBe(429);
    expect(result.headers).toEqual({ 'Retry-After': '3600' });
  });

  it('answers routing errors with the code of their status', () => {
    expect(answer(new NotFoundException('Cannot GET /api/nope'))).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('answers body-parser failures with MALFORMED_JSON and PAYLOAD_TOO_LARGE', () => {
    expect(answer(Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' }))).toMatchObject({
      status: 400,
      body: { error: 'Request body is not valid JSON', code: 'MALFORMED_JSON' },
    });
    expect(answer(Object.assign(new Error('too large'), { status: 413, type: 'entity.too.large' }))).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('hides anything else behind a generic 500', () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    expect(answer(new Error('relation "users" does not exist'))).toEqual({
      status: 500,
      headers: {},
      body: { error: 'Internal server error', code: 'INTERNAL_ERROR' },
    });
  });
});
