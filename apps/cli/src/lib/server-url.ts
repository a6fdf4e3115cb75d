import { UsageError } from './errors';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/**
 * Validates a server base URL and returns it without a trailing slash: `http(s)://host[:port][/path]`,
 * no credentials, query or fragment.
 */
export function normalizeServerUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`invalid server URL ${JSON.stringify(raw)} (from ${source})`, 'Use a full URL such as https://coffer.example.com.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the server URL must use http or https (from ${source})`, 'Use a full URL such as https://coffer.example.com.');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`the server URL must not carry credentials, a query or a fragment (from ${source})`, 'Use a URL such as https://coffer.example.com.');
  }
  return url.toString().replace(/\/+$/, '');
}
