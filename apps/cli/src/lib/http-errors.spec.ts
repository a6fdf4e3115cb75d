import { httpFailure, networkFailure, parseRetryAfter, retryHint } from './http-errors';

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

describe('httpFailure', () => {
  it('names the quota for 403', () => {
    const error = httpFailure(403, { error: 'quota exceeded', code: 'QUOTA_EXCEEDED' }, null, ctx);
    expect(error.message).toBe('upload of a.txt failed: your storage quota or file limit is reached: quota exceeded');
    expect(error.hint).toContain('coffer usage');
  });

  it('says the file is too large for 413', () => {
    expect(httpFailure(413, undefined, null, ctx).message).toContain('too large');
  });

  it('gives the retry time for 429', () => {
    const error = httpFailure(429, undefined, '60', ctx);
    expect(error.message).toContain('too many requests');
    expect(error.hint).toBe('Try again in 1 min (at 2026-01-02 12:01 UTC).');
  });

  it('tells the user to log in for 401', () => {
    expect(httpFailure(401, undefined, null, ctx).hint).toBe('Run `coffer auth login`.');
  });

  it('exits with 1 for server errors', () => {
    expect(httpFailure(502, undefined, null, ctx).exitCode).toBe(1);
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
