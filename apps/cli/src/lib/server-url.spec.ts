import { UsageError } from './errors';
import { normalizeServerUrl } from './server-url';

describe('normalizeServerUrl', () => {
  it('drops trailing slashes', () => {
    expect(normalizeServerUrl('https://coffer.example/', 'x')).toBe('https://coffer.example');
    expect(normalizeServerUrl('http://127.0.0.1:8080/sub/', 'x')).toBe('http://127.0.0.1:8080/sub');
  });

  it.each([['coffer.example'], ['ftp://coffer.example'], ['https://u:p@coffer.example'], ['https://coffer.example/?a=1']])('refuses %s', (url) => {
    expect(() => normalizeServerUrl(url, '--server')).toThrow(UsageError);
  });
});
