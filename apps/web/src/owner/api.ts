// The values of @coffer/contract's web-session.ts (that package is CommonJS; the page imports nothing of it at run time).
const WEB_CSRF_HEADER = 'X-Coffer-CSRF';
const WEB_CSRF_COOKIE = 'coffer_web_csrf';
const WEB_SESSION_PATH = '/api/web/session';

/** An API refusal: the server's `code` (or the status when a proxy answered without one). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The page's only session state, in memory: the access token and the CSRF token. The refresh
 * token is in an httpOnly cookie the page cannot read (docs/API.md, "Web session"); nothing goes
 * to localStorage.
 */
let accessToken: string | undefined;
let csrfToken: string | undefined;

function csrfFromCookie(): string | undefined {
  const pair = document.cookie.split(';').map((part) => part.trim()).find((part) => part.startsWith(`${WEB_CSRF_COOKIE}=`));
  return pair?.slice(WEB_CSRF_COOKIE.length + 1) || undefined;
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  const body: unknown = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const { error, code } = (body ?? {}) as { error?: string; code?: string };
    throw new ApiError(res.status, code ?? String(res.status), error ?? `The server answered ${res.status}`);
  }
  return body;
}

async function sessionCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { [WEB_CSRF_HEADER]: csrfToken ?? csrfFromCookie() ?? 'login', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return parse(res);
}

function keep(answer: unknown): void {
  const session = answer as { access_token: string; csrf_token: string };
  accessToken = session.access_token;
  csrfToken = session.csrf_token;
}

export async function login(email: string, password: string): Promise<void> {
  keep(await sessionCall('POST', WEB_SESSION_PATH, { email, password }));
}

/** Resumes the session of the cookie (after a reload); false when there is none. */
export async function resume(): Promise<boolean> {
  if (!csrfFromCookie()) return false;
  try {
    keep(await sessionCall('POST', `${WEB_SESSION_PATH}/refresh`));
    return true;
  } catch {
    return false;
  }
}

export async function logout(): Promise<void> {
  try {
    await sessionCall('DELETE', WEB_SESSION_PATH);
  } finally {
    accessToken = undefined;
    csrfToken = undefined;
  }
}

export function forget(): void {
  accessToken = undefined;
  csrfToken = undefined;
}

/** The user id (JWT `sub`): the account key's associated data names it. */
export function userId(): string {
  const payload = (accessToken ?? '').split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (payload.length % 4)) % 4));
  return (JSON.parse(json) as { sub: string }).sub;
}

/** A JSON call without a session (register, verify, delete account). */
export async function plain(method: string, path: string, body?: unknown): Promise<unknown> {
  return parse(await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined }));
}

/** A bearer call; one refresh and retry when the access token has expired. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const send = () =>
    fetch(path, {
      method,
      headers: { Authorization: `Bearer ${accessToken ?? ''}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  let res = await send();
  if (res.status === 401) {
    keep(await sessionCall('POST', `${WEB_SESSION_PATH}/refresh`));
    res = await send();
  }
  return (await parse(res)) as T;
}

/** Why `signal` was aborted, as an Error (its reason when that is one). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('The upload was cancelled');
}

/** A presigned request as the server hands it out (a single PUT, or one part of a multipart upload). */
export interface PresignedPut {
  url: string;
  method?: string;
  headers?: Record<string, string>;
}

/**
 * PUT of encrypted bytes to a presigned URL, with upload progress (fetch has none). Answers the
 * `ETag` header, or `null` when storage answered none or its CORS rules do not expose it to the
 * page (multipart completion then takes the etags from the server's listing). Aborting `signal`
 * cuts the request and rejects with the signal's reason.
 */
export function putBlob(resource: PresignedPut, body: Blob, onProgress: (sent: number) => void, signal?: AbortSignal): Promise<string | null> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const settle = () => signal?.removeEventListener('abort', onAbort);
    xhr.open(resource.method ?? 'PUT', resource.url);
    // docs/API.md: an upload URL takes Content-Type: application/octet-stream unless its headers name one.
    const headers = Object.entries(resource.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-length');
    if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/octet-stream']);
    for (const [name, value] of headers) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      settle();
      if (xhr.status === 200) resolve(xhr.getResponseHeader('ETag'));
      else reject(new ApiError(xhr.status, String(xhr.status), `The upload was refused (${xhr.status})`));
    };
    xhr.onerror = () => {
      settle();
      reject(new ApiError(0, 'NETWORK', 'The upload failed: network error'));
    };
    xhr.onabort = () => {
      settle();
      reject(signal ? abortReason(signal) : new ApiError(0, 'NETWORK', 'The upload was cut'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(body);
  });
}
