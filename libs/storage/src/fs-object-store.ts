import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { assertValidKey, assertValidPrefix, isValidKeySegment } from './object-key';
import {
  MAX_SINGLE_PUT_BYTES,
  assertContentLength,
  assertExpiresInSec,
  OBJECT_CONTENT_TYPE,
  systemClock,
  type ObjectStore,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type StoreClock,
  type StoredObject,
} from './object-store';
import {
  entriesOf,
  errorCode,
  FsStoreError,
  hasCode,
  removeIfEmpty,
  syncDirectory,
  toFsStoreError,
  unlinkCounted,
  writeExactly,
  type ReceiveOptions,
} from './fs-io';
import { FsMultipartUploads } from './fs-multipart';
import { buildFsUrl, FS_UPLOAD_ID, parseFsUrl, verifyFsSignature, type FsUrlClaims, type FsUrlMethod } from './fs-url-signer';
import {
  assertPartLength,
  assertPartNumber,
  assertUploadId,
  MultipartUploadError,
  type CompletedPart,
  type MultipartUploadInfo,
  type PresignUploadPartOptions,
  type UploadedPart,
} from './multipart';

export interface FsObjectStoreOptions {
  /** Directory holding the objects (the server uses `DATA_DIR/blobs`); it must already exist. */
  root: string;
  /** Origin (and optional path) clients reach the API at, e.g. `http://127.0.0.1:8080`. */
  publicBaseUrl: string;
  /** HMAC key for the URLs; use a secret dedicated to this purpose, at least 32 bytes. */
  secret: string | Uint8Array;
  clock?: StoreClock;
  /** Largest body accepted by a URL without a signed length. Defaults to S3's single-PUT limit. */
  maxObjectBytes?: number;
}


export { FsStoreError, type FsStoreErrorCode, type ReceiveOptions } from './fs-io';

export type FsAuthorization =
  | { ok: true; claims: FsUrlClaims }
  | { ok: false; reason: 'NOT_FOUND' | 'SIGNATURE_INVALID' | 'URL_EXPIRED' };

const DEFAULT_MAX_OBJECT_BYTES = MAX_SINGLE_PUT_BYTES;
/** `receive`'s temporary files: `<last key segment>~<16 hex digits>.part`. */
const TEMP_FILE_NAME = /~[0-9a-f]{16}\.part$/;
const MIN_SECRET_BYTES = 32;

/**
 * Objects as files under one root directory, uploaded and downloaded through signed, expiring
 * URLs that the API process serves itself (see `createFsBlobHandler`).
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  readonly maxObjectBytes: number;
  private readonly publicBaseUrl: string;
  private readonly secret: Uint8Array;
  private readonly clock: StoreClock;
  private readonly multipart: FsMultipartUploads;

  constructor(options: FsObjectStoreOptions) {
    this.root = resolve(options.root);
    this.publicBaseUrl = parsePublicBaseUrl(options.publicBaseUrl);
    this.secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
    if (this.secret.length < MIN_SECRET_BYTES) {
      throw new RangeError(`the fs storage secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.clock = options.clock ?? systemClock;
    this.maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    assertContentLength(this.maxObjectBytes);
    this.multipart = new FsMultipartUploads(
      this.root,
      this.clock,
      (key, temp) => this.createTempFile(key, temp),
      (key) => this.pathOf(key),
    );
  }

  async createMultipartUpload(key: string): Promise<string> {
    assertValidKey(key);
    return this.multipart.create(key);
  }

  async presignUploadPart(key: string, uploadId: string, options: PresignUploadPartOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertFsUploadId(uploadId);
    assertPartNumber(options.partNumber);
    assertPartLength(options.contentLength);
    assertExpiresInSec(options.expiresInSec);
    const expires = this.expiresFromNow(options.expiresInSec);
    const claims: FsUrlClaims = {
      method: 'PUT',
      key,
      expires,
      length: options.contentLength,
      part: { uploadId, partNumber: options.partNumber },
    };
    return {
      url: buildFsUrl(this.publicBaseUrl, this.secret, claims),
      method: 'PUT',
      headers: { 'Content-Type': OBJECT_CONTENT_TYPE },
      expiresAt: new Date(expires * 1000),
    };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertValidKey(key);
    assertFsUploadId(uploadId);
    return this.multipart.listParts(key, uploadId);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    assertValidKey(key);
    assertFsUploadId(uploadId);
    return this.multipart.complete(key, uploadId, parts);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    assertFsUploadId(uploadId);
    return this.multipart.abort(key, uploadId);
  }

  async *listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo> {
    if (prefix !== '') assertValidPrefix(prefix);
    yield* this.multipart.list(prefix);
  }

  /** Stores one part of a multipart upload, as `receive` stores an object; returns its etag. */
  async receivePart(
    key: string,
    part: { uploadId: string; partNumber: number },
    body: AsyncIterable<Uint8Array>,
    length: number,
    options: ReceiveOptions = {},
  ): Promise<string> {
    assertValidKey(key);
    assertPartNumber(part.partNumber);
    if (!FS_UPLOAD_ID.test(part.uploadId)) {
      throw new FsStoreError('NO_SUCH_UPLOAD', 'no such multipart upload');
    }
    return this.multipart.receivePart(key, part.uploadId, part.partNumber, body, length, options);
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertExpiresInSec(options.expiresInSec);
    assertContentLength(options.contentLength);
    if (options.contentLength !== undefined && options.contentLength > this.maxObjectBytes) {
      throw new RangeError(`contentLength exceeds this store's maximum of ${this.maxObjectBytes} bytes`);
    }
    const expires = this.expiresFromNow(options.expiresInSec);
    const claims: FsUrlClaims = { method: 'PUT', key, expires };
    if (options.contentLength !== undefined) {
      claims.length = options.contentLength;
    }
    return {
      url: buildFsUrl(this.publicBaseUrl, this.secret, claims),
      method: 'PUT',
      headers: { 'Content-Type': OBJECT_CONTENT_TYPE },
      expiresAt: new Date(expires * 1000),
    };
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertExpiresInSec(options.expiresInSec);
    const expires = this.expiresFromNow(options.expiresInSec);
    const claims: FsUrlClaims = { method: 'GET', key, expires };
    if (options.filename !== undefined) {
      claims.filename = options.filename;
    }
    return {
      url: buildFsUrl(this.publicBaseUrl, this.secret, claims),
      method: 'GET',
      headers: {},
      expiresAt: new Date(expires * 1000),
    };
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    assertValidKey(key);
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size } : undefined;
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) {
        return undefined;
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      // A directory at the key's path is a prefix of other keys, not an object.
      if (!hasCode(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) {
        throw err;
      }
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    const directory = join(this.root, prefix.slice(0, cut));
    const deleted = await this.deleteEntries(directory, prefix.slice(cut));
    if (cut > 0 && cut === prefix.length) {
      await removeIfEmpty(directory);
    }
    return deleted;
  }

  async ping(): Promise<void> {
    try {
      const info = await stat(this.root);
      if (!info.isDirectory()) {
        throw new Error('not a directory');
      }
      // Writing a file is the only reliable test: access() says yes to root on a read-only mount.
      const probe = join(this.root, `.ping~${randomBytes(8).toString('hex')}`);
      await (await open(probe, 'wx', 0o600)).close();
      await rm(probe, { force: true });
    } catch (err) {
      const reason = errorCode(err) ?? (err as { message?: string })?.message ?? String(err);
      throw new Error(`storage directory ${this.root} is not usable: ${reason}`, { cause: err });
    }
  }

  /** Checks a request target (`/storage/<key>?…`) against the signature, method and expiry. */
  authorize(requestTarget: string, method: FsUrlMethod): FsAuthorization {
    const parsed = parseFsUrl(requestTarget);
    if (!parsed.ok) {
      return parsed;
    }
    const { claims, signature } = parsed;
    if (claims.method !== method || !verifyFsSignature(this.secret, claims, signature)) {
      return { ok: false, reason: 'SIGNATURE_INVALID' };
    }
    if (this.clock.now().getTime() >= claims.expires * 1000) {
      return { ok: false, reason: 'URL_EXPIRED' };
    }
    return { ok: true, claims };
  }

  /**
   * Stores exactly `length` bytes from `body` under `key`: written to a temporary file next to
   * the target, fsynced and renamed into place, so readers only ever see complete objects and a
   * failed upload leaves nothing behind (an existing object stays as it was).
   */
  async receive(key: string, body: AsyncIterable<Uint8Array>, length: number, options: ReceiveOptions = {}): Promise<void> {
    assertValidKey(key);
    const deadlineMs = options.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    if (this.clock.now().getTime() >= deadlineMs) {
      throw new FsStoreError('UPLOAD_EXPIRED', 'the upload URL has expired');
    }
    const target = this.pathOf(key);
    // `~` is not allowed in keys, so a temporary file (TEMP_FILE_NAME) can never be mistaken for an object.
    const temp = join(dirname(target), `${basename(target)}~${randomBytes(8).toString('hex')}.part`);
    const handle = await this.createTempFile(key, temp);
    let closed = false;
    let renamed = false;
    try {
      await writeExactly(handle, body, length, deadlineMs - this.clock.now().getTime());
      await handle.sync();
      await handle.close();
      closed = true;
      if (options.mayCommit !== undefined && !(await options.mayCommit())) {
        throw new FsStoreError('UPLOAD_CLOSED', 'the key no longer accepts uploads');
      }
      if (this.clock.now().getTime() >= deadlineMs) {
        throw new FsStoreError('UPLOAD_EXPIRED', 'the upload URL expired before the body was stored');
      }
      await rename(temp, target);
      renamed = true;
      await syncDirectory(dirname(target));
    } catch (err) {
      throw toFsStoreError(err);
    } finally {
      if (!closed) {
        await handle.close().catch(() => undefined);
      }
      if (!renamed) {
        await rm(temp, { force: true }).catch(() => undefined);
      }
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (prefix !== '') assertValidPrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    yield* this.listUnder(prefix.slice(0, cut), prefix.slice(cut));
  }

  /** Objects under the directory of `keyPrefix` (''/ or ending in '/') whose next segment starts with `namePrefix`, in key order. */
  private async *listUnder(keyPrefix: string, namePrefix: string): AsyncGenerator<StoredObject> {
    const entries = (await entriesOf(join(this.root, ...keyPrefix.split('/').filter(Boolean))))
      .filter((entry) => entry.name.startsWith(namePrefix) && isValidKeySegment(entry.name) && (entry.isFile() || entry.isDirectory()))
      // A directory's keys continue with '/', so that is where they sort among its siblings.
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { entry } of entries) {
      const key = `${keyPrefix}${entry.name}`;
      if (entry.isDirectory()) {
        yield* this.listUnder(`${key}/`, '');
        continue;
      }
      const info = await stat(this.pathOf(key)).catch(() => undefined);
      if (info?.isFile()) yield { key, size: info.size, lastModified: info.mtime };
    }
  }

  /**
   * Deletes temporary upload files not written to for `idleMs`: what a process killed in the
   * middle of an upload leaves behind (`receive` removes its own on every failure it survives,
   * and a live upload keeps writing). Returns how many were deleted.
   */
  async sweepStaleTempFiles(idleMs: number): Promise<number> {
    const cutoffMs = this.clock.now().getTime() - idleMs;
    return (await this.sweepTempFilesUnder(this.root, cutoffMs)) + (await this.multipart.sweepStale(cutoffMs));
  }

  private async sweepTempFilesUnder(directory: string, cutoffMs: number): Promise<number> {
    let deleted = 0;
    for (const entry of await entriesOf(directory)) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        deleted += await this.sweepTempFilesUnder(path, cutoffMs);
      } else if (entry.isFile() && TEMP_FILE_NAME.test(entry.name)) {
        const info = await stat(path).catch(() => undefined);
        if (info && info.mtimeMs < cutoffMs) {
          deleted += await unlinkCounted(path);
        }
      }
    }
    return deleted;
  }

  /** Opens an object for reading; the caller closes the handle. */
  async openForRead(key: string): Promise<{ handle: FileHandle; size: number } | undefined> {
    assertValidKey(key);
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) {
        return undefined;
      }
      throw err;
    }
    const info = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return { handle, size: info.size };
  }

  private expiresFromNow(expiresInSec: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + expiresInSec;
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  private async createTempFile(key: string, temp: string): Promise<FileHandle> {
    // A concurrent deletePrefix may remove the freshly made directory; one retry settles that.
    for (let attempt = 1; ; attempt++) {
      await this.makeParentDirectories(key);
      try {
        return await open(temp, 'wx', 0o600);
      } catch (err) {
        if (!hasCode(err, 'ENOENT') || attempt === 2) {
          throw toFsStoreError(err);
        }
      }
    }
  }

  private async makeParentDirectories(key: string): Promise<void> {
    // Created one level at a time, never recursively, so a missing root (an unmounted volume)
    // fails the upload instead of being silently recreated.
    let directory = this.root;
    for (const segment of key.split('/').slice(0, -1)) {
      directory = join(directory, segment);
      try {
        await mkdir(directory, { mode: 0o700 });
      } catch (err) {
        if (!hasCode(err, 'EEXIST')) {
          throw toFsStoreError(err);
        }
      }
    }
  }

  private async deleteEntries(directory: string, namePrefix: string): Promise<number> {
    let deleted = 0;
    for (const entry of await entriesOf(directory)) {
      if (!entry.name.startsWith(namePrefix) || !isValidKeySegment(entry.name)) {
        continue;
      }
      const path = join(directory, entry.name);
      if (entry.isFile()) {
        deleted += await unlinkCounted(path);
      } else if (entry.isDirectory()) {
        deleted += await this.deleteEntries(path, '');
        await removeIfEmpty(path);
      }
    }
    return deleted;
  }
}

/** The fs driver makes 32 hex digits; any other id names no upload it has. */
function assertFsUploadId(uploadId: string): void {
  assertUploadId(uploadId);
  if (!FS_UPLOAD_ID.test(uploadId)) {
    throw new MultipartUploadError('NO_SUCH_UPLOAD', 'no such multipart upload');
  }
}

function parsePublicBaseUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError('publicBaseUrl must be an http(s) URL');
  }
  return value.replace(/\/+$/, '');
}

