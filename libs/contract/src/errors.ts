/**
 * Every machine-readable error code a Coffer server answers, in the `code` field of the error
 * body. The HTTP status of each code is the server's business (one table in its error filter);
 * clients decide on the code and fall back to the status only for servers that send none.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'CODE_EXPIRED',
  'UNAUTHORIZED',
  'INVALID_CREDENTIALS',
  'INVALID_CODE',
  'INVALID_TOKEN',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'FILE_COUNT_LIMIT',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'ALREADY_REGISTERED',
  'UPLOAD_INCOMPLETE',
  'PART_MISMATCH',
  'UPLOAD_COMPLETING',
  'AMBIGUOUS_ID',
  'PAYLOAD_TOO_LARGE',
  'FILE_TOO_LARGE',
  'UPLOAD_OVER_QUOTA',
  'UNSUPPORTED_MEDIA_TYPE',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED',
  'TOO_MANY_ATTEMPTS',
  'DOWNLOAD_LIMIT',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  'STORAGE_FULL',
  'MAIL_UNAVAILABLE',
  'KEY_VERSION_CONFLICT',
  'KEY_MISMATCH',
  'CSRF_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The body of every error answer: a sentence for people and a code for programs. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

/** What each code means, whatever the route (routes add their own detail in docs/API.md). */
export const ERROR_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'A field, query parameter or path is missing, malformed or unknown',
  MALFORMED_JSON: 'The request body is not valid JSON',
  CODE_EXPIRED: 'The verification code has expired; request a new one',
  UNAUTHORIZED: 'Authentication is required',
  INVALID_CREDENTIALS: 'Wrong e-mail or password (or the account is not verified)',
  INVALID_CODE: 'Wrong verification code, or no unverified account with this e-mail',
  INVALID_TOKEN: 'Missing, malformed, expired or revoked token',
  FORBIDDEN: 'Not allowed on this server',
  QUOTA_EXCEEDED: 'The upload would exceed the user quota',
  FILE_COUNT_LIMIT: 'The user already has the most files allowed',
  NOT_FOUND: 'No such file, link, user or route',
  METHOD_NOT_ALLOWED: 'The method is not allowed on this path',
  ALREADY_REGISTERED: 'A verified account has this e-mail',
  UPLOAD_INCOMPLETE: 'The object is not in storage yet; the file stays pending',
  PART_MISMATCH: 'A stored part has another size than the plan or another etag than named; re-upload it, the file stays pending',
  UPLOAD_COMPLETING: 'The multipart upload is being completed; repeat complete until it answers 200',
  AMBIGUOUS_ID: 'The id prefix matches several files',
  PAYLOAD_TOO_LARGE: 'The request body is larger than 1 MiB',
  FILE_TOO_LARGE: 'The file is over the per-file limit, the single-PUT limit or its declared size',
  UPLOAD_OVER_QUOTA: 'The stored object does not fit the remaining quota; it was deleted and the file failed',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has an unsupported content type',
  REQUEST_TIMEOUT: 'The request did not arrive in time',
  HEADERS_TOO_LARGE: 'The request headers are too large',
  RATE_LIMITED: 'Too many requests; Retry-After says when to try again',
  TOO_MANY_ATTEMPTS: 'Too many wrong codes; the code is void (Retry-After: when a new one can be sent)',
  DOWNLOAD_LIMIT: "The file's daily download limit is used up (Retry-After: until midnight UTC)",
  INTERNAL_ERROR: 'An unexpected server error',
  SERVICE_UNAVAILABLE: 'The database or storage cannot be reached; try again later',
  STORAGE_FULL: 'The server-wide storage limit is reached',
  MAIL_UNAVAILABLE: 'The verification mail cannot be sent; nothing was saved',
  KEY_VERSION_CONFLICT: 'The account keys changed since they were read (or were never created); read them again; nothing was written',
  KEY_MISMATCH: 'A different public key or sealed key is already stored and cannot be replaced; nothing was written',
  CSRF_FAILED: 'A web-session request without a valid CSRF header, or sent from another site; nothing was done',
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
