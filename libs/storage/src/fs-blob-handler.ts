import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition } from './content-disposition';
import { FsStoreError, type FsObjectStore, type FsStoreErrorCode } from './fs-object-store';
import type { FsUrlMethod } from './fs-url-signer';
import { MAX_PART_BYTES } from './multipart';
import { OBJECT_CONTENT_TYPE } from './object-store';

export type FsBlobHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Undefined: the key takes no upload any more (its file was completed, deleted or failed, or never existed). */
export type UploadPermission = { maxBytes: number } | undefined;
/** Which multipart upload and part a PUT stores into; absent for a PUT of the whole object. */
export interface UploadPartTarget {
  uploadId: string;
  partNumber: number;
}
export type UploadPermissionCheck = (key: string, part?: UploadPartTarget) => Promise<UploadPermission>;

export interface FsBlobHandlerOptions {
  /** Called with unexpected failures (answered 500); client mistakes are not reported. */
  onError?: (err: unknown) => void;
  /**
   * Asked when a PUT arrives and again right before its body replaces the key: a signed URL
   * alone does not decide, the owner of the keys does. Without it every signed PUT is taken.
   * Part PUTs ask it too, with the upload and part; `maxBytes` then bounds the part.
   */
  mayUpload?: UploadPermissionCheck;
}

/** Express keeps the full target in `originalUrl` and rewrites `url` below a mount point. */
type BlobRequest = IncomingMessage & { originalUrl?: string };

/**
 * Serves the URLs of an `FsObjectStore`: `PUT`, `GET` and `HEAD` on `/storage/<key>?X-Coffer-…`.
 * It reads the request target from `originalUrl` when present, so it works on a bare
 * `http.Server` and mounted anywhere in Express, but nothing may consume the PUT body before it.
 */
export function createFsBlobHandler(store: FsObjectStore, options: FsBlobHandlerOptions = {}): FsBlobHandler {
  return (req, res) => {
    handle(store, req, res, options).catch((err: unknown) => {
      // `mayUpload` may say why it cannot answer (e.g. STORAGE_UNAVAILABLE while its database is down).
      if (err instanceof FsStoreError) return sendStoreError(res, err);
      options.onError?.(err);
      sendError(res, 500, 'INTERNAL_ERROR', 'The object could not be stored or read.');
    });
  };
}

async function handle(store: FsObjectStore, req: BlobRequest, res: ServerResponse, options: FsBlobHandlerOptions): Promise<void> {
  const method = requestMethod(req.method);
  if (method === undefined) {
    res.setHeader('Allow', 'GET, HEAD, PUT');
    return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Only GET, HEAD and PUT are allowed here.');
  }
  const auth = store.authorize(req.originalUrl ?? req.url ?? '', method);
  if (!auth.ok) {
    switch (auth.reason) {
      case 'NOT_FOUND':
        return sendError(res, 404, 'NOT_FOUND', 'No such object.');
      case 'SIGNATURE_INVALID':
        return sendError(res, 403, 'SIGNATURE_INVALID', `This URL is not a valid ${method} URL.`);
      case 'URL_EXPIRED':
        return sendError(res, 403, 'URL_EXPIRED', 'This URL has expired.');
    }
  }
  if (method === 'PUT') {
    const { key, length, expires, part } = auth.claims;
    return receive(store, req, res, { key, part, signedLength: length, deadline: new Date(expires * 1000), mayUpload: options.mayUpload });
  }
  return serve(store, req, res, auth.claims.key, auth.claims.filename);
}

interface Upload {
  key: string;
  part: UploadPartTarget | undefined;
  signedLength: number | undefined;
  deadline: Date;
  mayUpload: UploadPermissionCheck | undefined;
}

function requestMethod(method: string | undefined): FsUrlMethod | undefined {
  if (method === 'PUT') {
    return 'PUT';
  }
  return method === 'GET' || method === 'HEAD' ? 'GET' : undefined;
}

async function receive(
  store: FsObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  { key, part, signedLength, deadline, mayUpload }: Upload,
): Promise<void> {
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== OBJECT_CONTENT_TYPE) {
    return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `The body must be sent as ${OBJECT_CONTENT_TYPE}.`);
  }
  // Node's HTTP parser has already refused malformed Content-Length values and conflicting
  // Transfer-Encoding; what is left is a missing header (a chunked upload) or a wrong number.
  const header = req.headers['content-length'];
  if (header === undefined) {
    return sendError(res, 411, 'LENGTH_REQUIRED', 'A Content-Length header is required.');
  }
  const length = Number(header);
  if (signedLength !== undefined && length > signedLength) {
    return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The body is longer than this URL allows.');
  }
  if (signedLength !== undefined && length < signedLength) {
    return sendError(res, 400, 'LENGTH_MISMATCH', 'The body is shorter than this URL requires.');
  }
  const maxBytes = part === undefined ? store.maxObjectBytes : MAX_PART_BYTES;
  if (length > maxBytes) {
    return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The body is larger than this server accepts.');
  }
  const permission = mayUpload === undefined ? { maxBytes } : await mayUpload(key, part);
  if (permission === undefined) {
    return sendError(res, 403, 'UPLOAD_CLOSED', 'This URL takes no upload any more: its file was completed, deleted or failed.');
  }
  if (length > permission.maxBytes) {
    return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The body is larger than this file may be.');
  }
  const mayCommit = mayUpload === undefined ? undefined : async () => (await mayUpload(key, part)) !== undefined;
  let etag: string | undefined;
  try {
    if (part === undefined) {
      await store.receive(key, req, length, { deadline, mayCommit });
    } else {
      etag = await store.receivePart(key, part, req, length, { deadline, mayCommit });
    }
  } catch (err) {
    if (err instanceof FsStoreError) return sendStoreError(res, err);
    throw err;
  }
  // A part's etag, as S3 answers an UploadPart.
  res.writeHead(200, etag === undefined ? { 'Content-Length': '0' } : { 'Content-Length': '0', ETag: etag });
  res.end();
}

const RECEIVE_ERRORS: Record<FsStoreErrorCode, [number, string]> = {
  BODY_LENGTH_MISMATCH: [400, 'The body did not match its declared length.'],
  KEY_CONFLICT: [409, 'The object cannot be stored under this key.'],
  STORAGE_FULL: [507, 'The storage is full.'],
  STORAGE_UNAVAILABLE: [503, 'The storage is unavailable.'],
  UPLOAD_EXPIRED: [403, 'This URL expired before the upload finished; nothing was stored.'],
  NO_SUCH_UPLOAD: [404, 'The multipart upload does not exist: it was completed or aborted.'],
  UPLOAD_CLOSED: [403, 'This URL takes no upload any more: its file was completed, deleted or failed.'],
};

function sendStoreError(res: ServerResponse, err: FsStoreError): void {
  const [status, message] = RECEIVE_ERRORS[err.code];
  // Nothing was stored; a later retry of the same PUT can succeed.
  if (status === 503 && !res.headersSent) res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  sendError(res, status, err.code, message);
}

const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

async function serve(
  store: FsObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  filename: string | undefined,
): Promise<void> {
  const object = await store.openForRead(key);
  if (object === undefined) {
    return sendError(res, 404, 'NOT_FOUND', 'No such object.');
  }
  const range = requestedRange(req, object.size);
  if (range === 'unsatisfiable') {
    await object.handle.close();
    res.setHeader('Content-Range', `bytes */${object.size}`);
    return sendError(res, 416, 'RANGE_NOT_SATISFIABLE', 'The range lies outside the object.');
  }
  const headers = {
    'Content-Type': OBJECT_CONTENT_TYPE,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(filename),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  };
  if (range === undefined) {
    res.writeHead(200, { ...headers, 'Content-Length': String(object.size) });
  } else {
    res.writeHead(206, { ...headers, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${object.size}` });
  }
  if (req.method === 'HEAD') {
    await object.handle.close();
    res.end();
    return;
  }
  try {
    await pipeline(object.handle.createReadStream(range ?? {}), res);
  } catch {
    // The client went away mid-download; the read stream has closed the file already.
  }
}

/** Inclusive byte positions, as in `Content-Range`. */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one byte range a GET asks for (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`.
 * Undefined means "send the whole object": no Range, a Range this server does not serve (several
 * ranges, another unit, bad syntax: ignoring it is allowed) or an If-Range (no validators here).
 */
function requestedRange(req: IncomingMessage, size: number): ByteRange | 'unsatisfiable' | undefined {
  const header = req.headers.range;
  if (header === undefined || req.headers['if-range'] !== undefined) return undefined;
  const match = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1], match[2]].map((digits) => (digits === '' ? undefined : Number(digits)));
  if (first === undefined) {
    // A suffix: the last n bytes.
    if (last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined;
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: Math.min(size - 1, last ?? size - 1) };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message, code });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (!requestFullyRead(res.req) && Number(res.req.headers['content-length'] ?? 0) > DRAIN_LIMIT_BYTES) {
    // Refusing a large upload before reading it: close the connection rather than drain a body
    // that may be gigabytes long. Small bodies are drained so the client reliably gets the answer.
    res.setHeader('Connection', 'close');
  }
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const DRAIN_LIMIT_BYTES = 1024 * 1024;

function requestFullyRead(req: IncomingMessage): boolean {
  return req.complete || req.readableEnded;
}
