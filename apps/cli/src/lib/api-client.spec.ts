import { ApiClient, type RawResponse } from './api-client';
import type { Context } from './context';
import { CliError } from './errors';

function clientAnswering(response: RawResponse): ApiClient {
  const client = new ApiClient({} as Context, 'http://s');
  jest.spyOn(client, 'raw').mockResolvedValue(response);
  return client;
}

const notFoundBody = { error: 'No such file', code: 'NOT_FOUND' };
const options = { what: 'reading', codeless: { 404: 'NOT_FOUND' as const } };

describe('ApiClient', () => {
  it('answers absent on the code, whatever the status', async () => {
    await expect(clientAnswering({ status: 404, retryAfter: null, body: notFoundBody }).callOrAbsent('GET', '/x', options, ['NOT_FOUND'])).resolves.toBeUndefined();
  });

  it('does not take another code with the same status for absence', async () => {
    const answer = clientAnswering({ status: 404, retryAfter: null, body: { error: 'x', code: 'VALIDATION_FAILED' } }).callOrAbsent('GET', '/x', options, ['NOT_FOUND']);
    await expect(answer).rejects.toThrow('reading failed: the server refused the request: x');
  });

  it('reads a code-less status through the route’s fallback (a stock Hashdrop server)', async () => {
    await expect(clientAnswering({ status: 404, retryAfter: null, body: 'Not Found' }).callOrAbsent('GET', '/x', options, ['NOT_FOUND'])).resolves.toBeUndefined();
  });

  it('gives the endpoint’s own message for its codes, and the generic one for the rest', async () => {
    const onError = { INVALID_CREDENTIALS: () => new CliError('login failed: wrong e-mail or password') };
    const wrong = clientAnswering({ status: 401, retryAfter: null, body: { error: 'Wrong e-mail or password', code: 'INVALID_CREDENTIALS' } });
    await expect(wrong.call('POST', '/api/user/login', { what: 'login', onError })).rejects.toThrow('login failed: wrong e-mail or password');
    const limited = clientAnswering({ status: 429, retryAfter: '5', body: { error: 'slow down', code: 'RATE_LIMITED' } });
    await expect(limited.call('POST', '/api/user/login', { what: 'login', onError })).rejects.toThrow('login failed: too many requests: slow down');
  });
});
