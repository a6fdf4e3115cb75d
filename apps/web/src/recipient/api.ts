/** The three public share-link routes (docs/API.md 21–23), same origin, no credentials, no referrer. */

export interface FileMeta {
  file_name: string;
  key_management_mode: 'vault' | 'passphrase';
  passphrase_salt: string | null;
  kdf_params: unknown;
  key_commitment: string | null;
  encrypted_size_bytes: number;
  plaintext_hash: string | null;
  encrypted_metadata: string | null;
  nonce_prefix: string | null;
}

export type LinkRefusal = { kind: 'not-found' } | { kind: 'limit'; resetsAt: Date } | { kind: 'rate-limited'; retryAfterSeconds: number } | { kind: 'unavailable' };

export class LinkRefused extends Error {
  override readonly name = 'LinkRefused';

  constructor(readonly refusal: LinkRefusal) {
    super(refusal.kind);
  }
}

/** fetch's own failure (offline, DNS, reset): the page offers a retry. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

const path = (route: 'meta' | 'download', owner: string, fileId: string) => `/files/${route}/${encodeURIComponent(owner)}/${encodeURIComponent(fileId)}`;
const init: RequestInit = { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' };

async function send(url: string, options: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, ...options });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new NetworkError((error as Error).message);
  }
}

const retryAfterOf = (res: Response): number => Number(res.headers.get('Retry-After') ?? '0') || 0;

/** 404 no such file; 429 the daily limit (DOWNLOAD_LIMIT, until midnight UTC) or the per-address rate limit. */
async function refusalOf(res: Response): Promise<LinkRefusal> {
  if (res.status === 404) return { kind: 'not-found' };
  if (res.status !== 429) return { kind: 'unavailable' };
  const body = res.body ? ((await res.json().catch(() => undefined)) as { code?: string } | undefined) : undefined;
  if (body?.code === 'RATE_LIMITED') return { kind: 'rate-limited', retryAfterSeconds: retryAfterOf(res) };
  return { kind: 'limit', resetsAt: new Date(Date.now() + retryAfterOf(res) * 1000) };
}

/** Public facts of the file; counts nothing. */
export async function fetchMeta(owner: string, fileId: string): Promise<FileMeta> {
  const res = await send(path('meta', owner, fileId), { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new LinkRefused(await refusalOf(res));
  return (await res.json()) as FileMeta;
}

/** Whether a download would be allowed today (HEAD: counts nothing, has no body, so 429 is the daily limit). */
export async function checkDownloadAllowed(owner: string, fileId: string): Promise<void> {
  const res = await send(path('download', owner, fileId), { method: 'HEAD' });
  if (!res.ok) throw new LinkRefused(await refusalOf(res));
}

/** The counted download: follows the 303 to the signed blob URL (this server, or the bucket by CORS). */
export async function openDownload(owner: string, fileId: string, signal: AbortSignal): Promise<Response> {
  const res = await send(path('download', owner, fileId), { signal });
  if (!res.ok) throw new LinkRefused(await refusalOf(res));
  if (!res.body) throw new NetworkError('the download has no body');
  return res;
}
