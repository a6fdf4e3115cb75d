import { errorCodeOf, httpFailure, networkFailure, parseRetryAfter, retryHint } from './http-errors';

const ctx = { what: 'upload of a.txt', server: 'http://s', nowMs: Date.UTC(2026, 0, 2, 12, 0, 0) };

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', ctx.nowMs)).toBe(120);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter(new Date(ctx.nowMs + 90_000).toUTCString(), ctx.nowMs)).toBe(90);
  });

  it('is undefined when missing or unreadable', () => {
    expect(parseRetryAfter(null, ctx.nowMs)).toBeUndefined();
    expect(parseRetryAfter('soon', ctx.nowMs)).toBeUndefined();
  });
});

describe('retryHint', () => {
  it('gives the wait and the UTC time', () => {
    expect(retryHint(3 * 3600 + 600, ctx.nowMs)).toBe('Try again in 3 h 10 min (at 2026-01-02 15:10 UTC).');
  });

  it('falls back to "later"', () => {
    expect(retryHint(undefined, ctx.nowMs)).toBe('Try again later.');
  });
});

const answer = (status: number, body?: { error?: string; code?: string }, retryAfter: string | null = null) => ({ status, body, retryAfter });

describe('httpFailure', () => {
  it('decides on the code: a quota refusal and a file-count refusal get different hints', () => {
    const quota = httpFailure(answer(403, { error: 'quota exceeded', code: 'QUOTA_EXCEEDED' }), ctx);
    expect(quota.message).toBe('upload of a.txt failed: your storage quota or file limit is reached: quota exceeded');
    expect(quota.hint).toBe('See `coffer usage`; free space with `coffer files delete <id>`.');
    expect(httpFailure(answer(403, { error: 'too many', code: 'FILE_COUNT_LIMIT' }), ctx).hint).toBe('Delete files with `coffer files delete <id>`; see `coffer usage`.');
  });

  it('reads the code, not the status: STORAGE_FULL (503) is not "unavailable", AMBIGUOUS_ID (409) is not a generic conflict', () => {
    expect(httpFailure(answer(503, { error: 'full', code: 'STORAGE_FULL' }), ctx).message).toBe("upload of a.txt failed: the server's storage is full: full");
    expect(httpFailure(answer(409, { error: 'x', code: 'AMBIGUOUS_ID' }), ctx).message).toContain('matches several files');
  });

  it('gives the retry time for every code that carries Retry-After', () => {
    for (const code of ['RATE_LIMITED', 'TOO_MANY_ATTEMPTS', 'DOWNLOAD_LIMIT']) {
      expect(httpFailure(answer(429, { error: 'slow down', code }, '60'), ctx).hint).toBe('Try again in 1 min (at 2026-01-02 12:01 UTC).');
    }
  });

  it('falls back to the status for an answer without a code (a stock Hashdrop server)', () => {
    expect(httpFailure(answer(403, { error: 'quota exceeded' }), ctx).hint).toBe('See `coffer usage`; free space with `coffer files delete <id>`.');
    expect(httpFailure(answer(413), ctx).message).toContain('too large');
    expect(httpFailure(answer(429, undefined, '60'), ctx).hint).toBe('Try again in 1 min (at 2026-01-02 12:01 UTC).');
    expect(httpFailure(answer(401), ctx).hint).toBe('Run `coffer auth login`.');
  });

  it('falls back to the status for an unknown code and for INTERNAL_ERROR', () => {
    expect(httpFailure(answer(409, { error: 'x', code: 'SOMETHING_NEW' }), ctx).message).toBe('upload of a.txt failed: conflict: x');
    expect(httpFailure(answer(500, { error: 'Internal server error', code: 'INTERNAL_ERROR' }), ctx).message).toBe('upload of a.txt failed: the server had an error (HTTP 500)');
  });

  it('exits with 1 for server errors', () => {
    expect(httpFailure(answer(502), ctx).exitCode).toBe(1);
  });
});

describe('errorCodeOf', () => {
  it('knows only the codes of the contract', () => {
    expect(errorCodeOf({ error: 'x', code: 'NOT_FOUND' })).toBe('NOT_FOUND');
    expect(errorCodeOf({ error: 'x', code: 'not_found' })).toBeUndefined();
    expect(errorCodeOf({ error: 'x' })).toBeUndefined();
    expect(errorCodeOf(undefined)).toBeUndefined();
  });
});

describe('networkFailure', () => {
  it('maps ECONNREFUSED to "cannot reach the server"', () => {
    const error = networkFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'http://127.0.0.1:1/api/x', 'login');
    expect(error?.message).toBe('login failed: cannot reach the server at http://127.0.0.1:1 (connection refused)');
  });

  it('finds the code in the cause chain (fetch) and in AggregateError', () => {
    const inner = Object.assign(new Error('x'), { code: 'ENOTFOUND' });
    expect(networkFailure(new TypeError('fetch failed', { cause: inner }), 'https://nowhere.example', 'login')?.message).toContain('host not found');
    expect(networkFailure(new AggregateError([inner]), 'https://nowhere.example', 'login')?.message).toContain('host not found');
  });

  it('leaves other errors alone', () => {
    expect(networkFailure(new Error('boom'), 'http://s', 'login')).toBeUndefined();
  });
});
