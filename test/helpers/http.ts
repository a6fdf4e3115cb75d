import type { TestApp } from './test-app';
import type { TestUser } from './users';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sends `user`'s access token. */
  user?: TestUser;
  headers?: Record<string, string>;
}

/**
 * One request to the test server with plain `fetch`, as any client would send it. Redirects are
 * answered, not followed, so a test sees the 303 itself. A JSON body comes back parsed, any
 * other body as text.
 */
export async function call<T = any>(t: TestApp, method: string, path: string, options: CallOptions = {}): Promise<HttpResult<T>> {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.user ? options.user.auth : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json') && text !== '';
  return { status: res.status, body: (json ? JSON.parse(text) : text) as T, headers: res.headers };
}
