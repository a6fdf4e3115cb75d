import { createHmac, timingSafeEqual } from 'node:crypto';
import { assertValidKey, InvalidObjectKeyError } from './object-key';

/** Path under the API's public URL where the filesystem driver's blob URLs live. */
export const FS_STORAGE_PATH = '/storage/';

export type FsUrlMethod = 'PUT' | 'GET';

/** What a filesystem-driver URL grants; every field is covered by the signature. */
export interface FsUrlClaims {
  method: FsUrlMethod;
  key: string;
  /** Unix time in seconds after which the URL is refused. */
  expires: number;
  /** Exact body length a PUT must have; absent = any length up to the store's maximum. */
  length?: number;
  /** Download file name for GET URLs. */
  filename?: string;
  /** Set on a PUT that stores one part of a multipart upload instead of the object itself. */
  part?: FsPartClaim;
}

export interface FsPartClaim {
  uploadId: string;
  partNumber: number;
}

export const FS_QUERY = {
  method: 'X-Coffer-Method',
  expires: 'X-Coffer-Expires',
  length: 'X-Coffer-Length',
  filename: 'X-Coffer-Filename',
  uploadId: 'X-Coffer-Upload-Id',
  partNumber: 'X-Coffer-Part-Number',
  signature: 'X-Coffer-Signature',
} as const;

/**
 * The signed string is `method\nkey\nexpires\nlength\nfilename`. Keys cannot contain a newline
 * and the file name, the only free-form field, comes last, so two claims never share a string.
 */
export function fsStringToSign(claims: FsUrlClaims): string {
  if (claims.part !== undefined) {
    // Its own first line: a part URL's string never equals a PUT's or a GET's.
    const { uploadId, partNumber } = claims.part;
    return ['UPLOAD_PART', claims.key, String(claims.expires), claims.length?.toString() ?? '', uploadId, String(partNumber)].join('\n');
  }
  return [claims.method, claims.key, String(claims.expires), claims.length?.toString() ?? '', claims.filename ?? ''].join(
    '\n',
  );
}

export function signFsClaims(secret: Uint8Array, claims: FsUrlClaims): string {
  return createHmac('sha256', secret).update(fsStringToSign(claims), 'utf8').digest('hex');
}

export function verifyFsSignature(secret: Uint8Array, claims: FsUrlClaims, signatureHex: string): boolean {
  const expected = Buffer.from(signFsClaims(secret, claims), 'hex');
  const provided = Buffer.from(signatureHex, 'hex');
  return provided.length === expected.length && timingSafeEqual(provided, expected);
}

export function buildFsUrl(publicBaseUrl: string, secret: Uint8Array, claims: FsUrlClaims): string {
  const query = new URLSearchParams();
  query.set(FS_QUERY.method, claims.method);
  query.set(FS_QUERY.expires, String(claims.expires));
  query.set(FS_QUERY.length, claims.length?.toString() ?? '');
  if (claims.filename !== undefined) {
    query.set(FS_QUERY.filename, claims.filename);
  }
  if (claims.part !== undefined) {
    query.set(FS_QUERY.uploadId, claims.part.uploadId);
    query.set(FS_QUERY.partNumber, String(claims.part.partNumber));
  }
  query.set(FS_QUERY.signature, signFsClaims(secret, claims));
  return `${publicBaseUrl}${FS_STORAGE_PATH}${claims.key}?${query.toString()}`;
}

// Only canonical decimals are accepted, so one grant has exactly one URL.
const CANONICAL_EXPIRES = /^[1-9]\d{0,11}$/;
const CANONICAL_LENGTH = /^(0|[1-9]\d{0,15})$/;
const CANONICAL_PART_NUMBER = /^[1-9]\d{0,4}$/;
/** The fs driver's upload ids. */
export const FS_UPLOAD_ID = /^[0-9a-f]{32}$/;

export type ParsedFsUrl =
  | { ok: true; claims: FsUrlClaims; signature: string }
  | { ok: false; reason: 'NOT_FOUND' | 'SIGNATURE_INVALID' };

/**
 * Parses a request target (`/storage/<key>?…`) into claims and the provided signature, without
 * checking the signature. A path outside `/storage/` or with an invalid key is NOT_FOUND; missing,
 * repeated or malformed parameters are SIGNATURE_INVALID.
 */
export function parseFsUrl(requestTarget: string): ParsedFsUrl {
  const queryStart = requestTarget.indexOf('?');
  const path = queryStart === -1 ? requestTarget : requestTarget.slice(0, queryStart);
  if (!path.startsWith(FS_STORAGE_PATH)) {
    return { ok: false, reason: 'NOT_FOUND' };
  }
  const key = path.slice(FS_STORAGE_PATH.length);
  try {
    assertValidKey(key);
  } catch (err) {
    if (err instanceof InvalidObjectKeyError) {
      return { ok: false, reason: 'NOT_FOUND' };
    }
    throw err;
  }

  const query = new URLSearchParams(queryStart === -1 ? '' : requestTarget.slice(queryStart + 1));
  const single = (name: string): string | undefined => {
    const values = query.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const method = single(FS_QUERY.method);
  const expires = single(FS_QUERY.expires);
  const length = single(FS_QUERY.length);
  const signature = single(FS_QUERY.signature);
  const filenames = query.getAll(FS_QUERY.filename);
  const uploadIds = query.getAll(FS_QUERY.uploadId);
  const partNumbers = query.getAll(FS_QUERY.partNumber);
  const isPart = uploadIds.length > 0 || partNumbers.length > 0;
  const partWellFormed =
    !isPart ||
    (method === 'PUT' &&
      uploadIds.length === 1 &&
      FS_UPLOAD_ID.test(uploadIds[0] ?? '') &&
      partNumbers.length === 1 &&
      CANONICAL_PART_NUMBER.test(partNumbers[0] ?? '') &&
      length !== '' &&
      filenames.length === 0);
  const wellFormed =
    partWellFormed &&
    (method === 'PUT' || method === 'GET') &&
    expires !== undefined &&
    CANONICAL_EXPIRES.test(expires) &&
    length !== undefined &&
    (length === '' || (CANONICAL_LENGTH.test(length) && Number.isSafeInteger(Number(length)))) &&
    signature !== undefined &&
    /^[0-9a-f]{64}$/.test(signature) &&
    filenames.length <= 1;
  if (!wellFormed) {
    return { ok: false, reason: 'SIGNATURE_INVALID' };
  }
  const claims: FsUrlClaims = { method, key, expires: Number(expires) };
  if (length !== '') {
    claims.length = Number(length);
  }
  if (filenames.length === 1) {
    claims.filename = filenames[0];
  }
  if (isPart) {
    claims.part = { uploadId: uploadIds[0] ?? '', partNumber: Number(partNumbers[0]) };
  }
  return { ok: true, claims, signature };
}
