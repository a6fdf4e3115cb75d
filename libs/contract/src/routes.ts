import type { ErrorCode } from './errors';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One route of docs/API.md: what it answers on success and every error code it can answer. */
export interface RouteContract {
  readonly method: HttpMethod;
  /** As in OpenAPI: path parameters in braces. */
  readonly path: string;
  readonly auth: 'none' | 'bearer';
  readonly success: number;
  /**
   * Every code the route can answer besides INTERNAL_ERROR (which any route can). A rate-limited
   * route (RATE_LIMITED) also lists SERVICE_UNAVAILABLE: its counters (Redis, with REDIS_URL)
   * unreachable, the limit fails closed.
   */
  readonly errors: readonly ErrorCode[];
  /** Not part of the Hashdrop API: a Hashdrop client never calls it. */
  readonly extension: boolean;
}

/** What any route taking a JSON body can answer about the body itself. */
const BODY_ERRORS = ['VALIDATION_FAILED', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'] as const satisfies readonly ErrorCode[];

/** Every route of the API, by a stable name. The server's OpenAPI document is built from this. */
export const ROUTES = {
  healthz: { method: 'GET', path: '/api/healthz', auth: 'none', success: 200, errors: [], extension: false },
  readyz: { method: 'GET', path: '/api/readyz', auth: 'none', success: 200, errors: [], extension: true },
  cliVersion: { method: 'GET', path: '/api/cli/version', auth: 'none', success: 200, errors: [], extension: false },
  adminReset: { method: 'DELETE', path: '/admin/reset', auth: 'none', success: 204, errors: ['UNAUTHORIZED', 'FORBIDDEN'], extension: false },
  metrics: { method: 'GET', path: '/metrics', auth: 'none', success: 200, errors: ['UNAUTHORIZED', 'NOT_FOUND'], extension: true },

  register: {
    method: 'POST', path: '/api/user/register', auth: 'none', success: 201, extension: false,
    errors: [...BODY_ERRORS, 'ALREADY_REGISTERED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'MAIL_UNAVAILABLE'],
  },
  verify: {
    method: 'PATCH', path: '/api/user/verify', auth: 'none', success: 204, extension: false,
    errors: [...BODY_ERRORS, 'CODE_EXPIRED', 'INVALID_CODE', 'TOO_MANY_ATTEMPTS', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  resend: { method: 'POST', path: '/api/user/verify/resend', auth: 'none', success: 202, extension: true, errors: [...BODY_ERRORS, 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  login: { method: 'POST', path: '/api/user/login', auth: 'none', success: 200, extension: false, errors: [...BODY_ERRORS, 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  deleteAccount: {
    method: 'DELETE', path: '/api/user', auth: 'none', success: 204, extension: false,
    errors: [...BODY_ERRORS, 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  refresh: { method: 'POST', path: '/api/token/refresh', auth: 'none', success: 200, extension: false, errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  revoke: { method: 'POST', path: '/api/token/revoke', auth: 'none', success: 204, extension: false, errors: [...BODY_ERRORS, 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },

  presign: {
    method: 'POST', path: '/api/files/presign', auth: 'bearer', success: 200, extension: false,
    errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'QUOTA_EXCEEDED', 'FILE_COUNT_LIMIT', 'FILE_TOO_LARGE', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'STORAGE_FULL'],
  },
  complete: {
    method: 'POST', path: '/api/files/complete', auth: 'bearer', success: 200, extension: false,
    errors: [
      ...BODY_ERRORS, 'INVALID_TOKEN', 'NOT_FOUND', 'UPLOAD_INCOMPLETE', 'PART_MISMATCH', 'FILE_TOO_LARGE', 'UPLOAD_OVER_QUOTA', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE',
    ],
  },
  partUrls: {
    method: 'POST', path: '/api/files/parts', auth: 'bearer', success: 200, extension: true,
    errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'NOT_FOUND', 'UPLOAD_COMPLETING', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  listParts: {
    method: 'GET', path: '/api/files/parts', auth: 'bearer', success: 200, extension: true,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  listFiles: { method: 'GET', path: '/api/files/all', auth: 'bearer', success: 200, extension: false, errors: ['INVALID_TOKEN', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  resolve: {
    method: 'GET', path: '/api/files/resolve', auth: 'bearer', success: 200, extension: false,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  details: {
    method: 'GET', path: '/api/files', auth: 'bearer', success: 200, extension: false,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  salt: {
    method: 'GET', path: '/api/files/salt', auth: 'bearer', success: 200, extension: false,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  hash: {
    method: 'GET', path: '/api/files/hash', auth: 'bearer', success: 200, extension: false,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  deleteFile: {
    method: 'DELETE', path: '/api/files', auth: 'bearer', success: 204, extension: false,
    errors: ['VALIDATION_FAILED', 'INVALID_TOKEN', 'NOT_FOUND', 'AMBIGUOUS_ID', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  putSealedKey: {
    method: 'PUT', path: '/api/files/sealed-key', auth: 'bearer', success: 204, extension: true,
    errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'NOT_FOUND', 'KEY_MISMATCH', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  usage: { method: 'GET', path: '/api/user/usage', auth: 'bearer', success: 200, extension: true, errors: ['INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },

  getKeys: { method: 'GET', path: '/api/keys', auth: 'bearer', success: 200, extension: true, errors: ['INVALID_TOKEN', 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
  putKeys: {
    method: 'PUT', path: '/api/keys', auth: 'bearer', success: 200, extension: true,
    errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'KEY_VERSION_CONFLICT', 'KEY_MISMATCH', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },

  webLogin: {
    method: 'POST', path: '/api/web/session', auth: 'none', success: 200, extension: true,
    errors: [...BODY_ERRORS, 'INVALID_CREDENTIALS', 'CSRF_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  webRefresh: {
    method: 'POST', path: '/api/web/session/refresh', auth: 'none', success: 200, extension: true,
    errors: [...BODY_ERRORS, 'INVALID_TOKEN', 'CSRF_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  webLogout: {
    method: 'DELETE', path: '/api/web/session', auth: 'none', success: 204, extension: true,
    errors: [...BODY_ERRORS, 'CSRF_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },

  checkLink: {
    method: 'HEAD', path: '/files/download/{userIdHash}/{fileId}', auth: 'none', success: 200, extension: true,
    errors: ['NOT_FOUND', 'DOWNLOAD_LIMIT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  download: {
    method: 'GET', path: '/files/download/{userIdHash}/{fileId}', auth: 'none', success: 303, extension: false,
    errors: ['NOT_FOUND', 'DOWNLOAD_LIMIT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  downloadSession: {
    method: 'POST', path: '/files/download/{userIdHash}/{fileId}/session', auth: 'none', success: 201, extension: true,
    errors: [...BODY_ERRORS, 'NOT_FOUND', 'DOWNLOAD_LIMIT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  downloadSessionUrl: {
    method: 'POST', path: '/files/download/{userIdHash}/{fileId}/session/url', auth: 'none', success: 200, extension: true,
    errors: [...BODY_ERRORS, 'NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'],
  },
  meta: { method: 'GET', path: '/files/meta/{userIdHash}/{fileId}', auth: 'none', success: 200, extension: true, errors: ['NOT_FOUND', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'] },
} as const satisfies Record<string, RouteContract>;

export type RouteName = keyof typeof ROUTES;

/** The codes `route` can answer, for a client deciding what an error means. */
export type RouteErrorCode<R extends RouteName> = (typeof ROUTES)[R]['errors'][number];
