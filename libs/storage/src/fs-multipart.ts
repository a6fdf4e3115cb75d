import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { entriesOf, FsStoreError, hasCode, syncDirectory, toFsStoreError, writeExactly, type ReceiveOptions } from './fs-io';
import { FS_UPLOAD_ID } from './fs-url-signer';
import {
  assertCompletedParts,
  assertPartSizes,
  MultipartUploadError,
  type CompletedPart,
  type MultipartUploadInfo,
  type UploadedPart,
} from './multipart';
import type { StoreClock } from './object-store';

/**
 * The fs driver's multipart uploads, under `<root>/~multipart/` (`~` never occurs in a key, so
 * listings and prefix deletes of objects never see it):
 * - `<upload id>/upload.json`: `{ key, initiatedAt }`; the directory appears complete (renamed
 *   into place) or not at all.
 * - `<upload id>/part-00001`: one part, replaced atomically (temp file + rename: last write wins).
 *   Its first 16 bytes are the MD5 of the rest, the part's etag as S3 reports it (`"<hex>"`),
 *   so a part and its etag are always one file and change together.
 * Completing or aborting first renames the upload's directory aside (`<id>~<tag>-<hex>`), which
 * ends it at once for concurrent part PUTs; `sweepStale` removes what a crash leaves there.
 */
export class FsMultipartUploads {
  private readonly directory: string;

  constructor(
    root: string,
    private readonly clock: StoreClock,
    /** Opens a new temporary file next to `key`'s object, creating its directories. */
    private readonly createTempFile: (key: string, temp: string) => Promise<FileHandle>,
    private readonly pathOf: (key: string) => string,
  ) {
    this.directory = join(root, MULTIPART_DIRECTORY);
  }

  async create(key: string): Promise<string> {
    const uploadId = randomBytes(16).toString('hex');
    try {
      await mkdir(this.directory, { mode: 0o700 });
    } catch (err) {
      if (!hasCode(err, 'EEXIST')) throw toFsStoreError(err);
    }
    const staging = join(this.directory, `${uploadId}~new`);
    await mkdir(staging, { mode: 0o700 });
    const meta: UploadMeta = { key, initiatedAt: this.clock.now().toISOString() };
    const handle = await open(join(staging, META_FILE), 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(meta));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(staging, this.uploadPath(uploadId));
    await syncDirectory(this.directory);
    return uploadId;
  }

  /** Stores one part from `body` (exactly `length` bytes) and returns its etag. */
  async receivePart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: AsyncIterable<Uint8Array>,
    length: number,
    options: ReceiveOptions = {},
  ): Promise<string> {
    const deadlineMs = options.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    if (this.clock.now().getTime() >= deadlineMs) {
      throw new FsStoreError('UPLOAD_EXPIRED', 'the upload URL has expired');
    }
    await this.readMeta(key, uploadId).catch((err: unknown) => {
      throw err instanceof MultipartUploadError ? new FsStoreError('NO_SUCH_UPLOAD', err.message) : err;
    });
    const target = join(this.uploadPath(uploadId), partFileName(partNumber));
    // The name sweepStaleTempFiles recognises, so a killed upload's leftovers are swept.
    const temp = `${target}~${randomBytes(8).toString('hex')}.part`;
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', 0o600);
    } catch (err) {
      throw hasCode(err, 'ENOENT') ? noSuchUploadOnPut() : toFsStoreError(err);
    }
    let closed = false;
    let renamed = false;
    try {
      const md5 = createHash('md5');
      await handle.write(Buffer.alloc(ETAG_BYTES));
      await writeExactly(handle, body, length, deadlineMs - this.clock.now().getTime(), (chunk) => md5.update(chunk));
      const digest = md5.digest();
      await handle.write(digest, 0, ETAG_BYTES, 0);
      await handle.sync();
      await handle.close();
      closed = true;
      if (options.mayCommit !== undefined && !(await options.mayCommit())) {
        throw new FsStoreError('UPLOAD_CLOSED', 'the key no longer accepts uploads');
      }
      if (this.clock.now().getTime() >= deadlineMs) {
        throw new FsStoreError('UPLOAD_EXPIRED', 'the upload URL expired before the part was stored');
      }
      try {
        await rename(temp, target);
      } catch (err) {
        // The upload was completed or aborted (its directory renamed aside) meanwhile.
        throw hasCode(err, 'ENOENT') ? noSuchUploadOnPut() : err;
      }
      renamed = true;
      await syncDirectory(dirname(target));
      return etagOf(digest);
    } catch (err) {
      throw toFsStoreError(err);
    } finally {
      if (!closed) await handle.close().catch(() => undefined);
      if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    await this.readMeta(key, uploadId);
    const parts: UploadedPart[] = [];
    for (const entry of await entriesOf(this.uploadPath(uploadId))) {
      const match = PART_FILE.exec(entry.name);
      if (match === null || !entry.isFile()) continue;
      const part = await openPart(join(this.uploadPath(uploadId), entry.name)).catch((err: unknown) => {
        if (hasCode(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (part === undefined) continue;
      await part.handle.close();
      parts.push({ partNumber: Number(match[1]), size: part.size, etag: part.etag });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Checks every named part (open handles, so exactly the checked bytes are joined), writes the
   * object to a temporary file, ends the upload and renames the file into place.
   */
  async complete(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    assertCompletedParts(parts);
    await this.readMeta(key, uploadId);
    const opened: OpenPart[] = [];
    const target = this.pathOf(key);
    const temp = join(dirname(target), `${basename(target)}~${randomBytes(8).toString('hex')}.part`);
    let output: FileHandle | undefined;
    let renamed = false;
    try {
      for (const { partNumber, etag } of parts) {
        const part = await openPart(join(this.uploadPath(uploadId), partFileName(partNumber))).catch((err: unknown) => {
          if (hasCode(err, 'ENOENT')) {
            throw new MultipartUploadError('INVALID_PART', `part ${partNumber} was not uploaded`);
          }
          throw err;
        });
        opened.push(part);
        if (unquoted(part.etag) !== unquoted(etag)) {
          throw new MultipartUploadError('INVALID_PART', `part ${partNumber} is not in the version named (it was uploaded again)`);
        }
      }
      assertPartSizes(opened.map((part) => part.size));
      output = await this.createTempFile(key, temp);
      for (const part of opened) {
        await copyPart(part, output);
      }
      await output.sync();
      await output.close();
      output = undefined;
      if ((await stat(target).catch(() => undefined))?.isDirectory()) {
        // Checked before the upload ends, so a refused completion leaves it as it was.
        throw new FsStoreError('KEY_CONFLICT', 'the key collides with a key prefix');
      }
      // The moment the upload ends: a concurrent abort or completion loses or wins here.
      await this.retire(uploadId, 'done');
      await rename(temp, target);
      renamed = true;
      await syncDirectory(dirname(target));
    } catch (err) {
      throw toFsStoreError(err);
    } finally {
      await output?.close().catch(() => undefined);
      await Promise.all(opened.map((part) => part.handle.close().catch(() => undefined)));
      if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
    }
    await this.removeRetired();
  }

  async abort(key: string, uploadId: string): Promise<void> {
    await this.readMeta(key, uploadId);
    await this.retire(uploadId, 'gone');
    await this.removeRetired();
  }

  async *list(prefix: string): AsyncGenerator<MultipartUploadInfo> {
    const uploads: MultipartUploadInfo[] = [];
    for (const entry of await entriesOf(this.directory)) {
      if (!entry.isDirectory() || !FS_UPLOAD_ID.test(entry.name)) continue;
      const meta = await readMetaFile(this.uploadPath(entry.name));
      if (meta === undefined || !meta.key.startsWith(prefix)) continue;
      uploads.push({ key: meta.key, uploadId: entry.name, initiatedAt: new Date(meta.initiatedAt) });
    }
    // S3's order: by key, then by initiation.
    uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiatedAt.getTime() - b.initiatedAt.getTime()));
    yield* uploads;
  }

  /** Removes staging and retired upload directories not touched for `idleMs` (a crash's leftovers). */
  async sweepStale(cutoffMs: number): Promise<number> {
    let deleted = 0;
    for (const entry of await entriesOf(this.directory)) {
      if (!entry.isDirectory() || FS_UPLOAD_ID.test(entry.name)) continue;
      const path = join(this.directory, entry.name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && info.mtimeMs < cutoffMs) {
        await rm(path, { recursive: true, force: true });
        deleted++;
      }
    }
    return deleted;
  }

  private uploadPath(uploadId: string): string {
    return join(this.directory, uploadId);
  }

  /** The upload's record, or NO_SUCH_UPLOAD when it does not exist or belongs to another key. */
  private async readMeta(key: string, uploadId: string): Promise<UploadMeta> {
    const meta = FS_UPLOAD_ID.test(uploadId) ? await readMetaFile(this.uploadPath(uploadId)) : undefined;
    if (meta === undefined || meta.key !== key) {
      throw new MultipartUploadError('NO_SUCH_UPLOAD', 'no such multipart upload');
    }
    return meta;
  }

  private async retire(uploadId: string, tag: string): Promise<void> {
    try {
      await rename(this.uploadPath(uploadId), join(this.directory, `${uploadId}~${tag}-${randomBytes(4).toString('hex')}`));
    } catch (err) {
      if (hasCode(err, 'ENOENT')) {
        throw new MultipartUploadError('NO_SUCH_UPLOAD', 'the multipart upload was completed or aborted meanwhile');
      }
      throw err;
    }
  }

  private async removeRetired(): Promise<void> {
    for (const entry of await entriesOf(this.directory)) {
      if (entry.isDirectory() && RETIRED.test(entry.name)) {
        await rm(join(this.directory, entry.name), { recursive: true, force: true });
      }
    }
  }
}

const MULTIPART_DIRECTORY = '~multipart';
const META_FILE = 'upload.json';
const ETAG_BYTES = 16;
const PART_FILE = /^part-(\d{5})$/;
const RETIRED = /^[0-9a-f]{32}~(done|gone)-[0-9a-f]{8}$/;
const COPY_CHUNK_BYTES = 1024 * 1024;

interface UploadMeta {
  key: string;
  initiatedAt: string;
}

interface OpenPart {
  handle: FileHandle;
  size: number;
  etag: string;
}

function partFileName(partNumber: number): string {
  return `part-${String(partNumber).padStart(5, '0')}`;
}

async function readMetaFile(uploadPath: string): Promise<UploadMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(uploadPath, META_FILE), 'utf8')) as Partial<UploadMeta>;
    return typeof meta.key === 'string' && typeof meta.initiatedAt === 'string' ? { key: meta.key, initiatedAt: meta.initiatedAt } : undefined;
  } catch (err) {
    if (hasCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

async function openPart(path: string): Promise<OpenPart> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(ETAG_BYTES);
    const { bytesRead } = await handle.read(header, 0, ETAG_BYTES, 0);
    if (bytesRead !== ETAG_BYTES) {
      throw new Error(`part file ${path} is truncated`);
    }
    return { handle, size: size - ETAG_BYTES, etag: etagOf(header) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function copyPart(part: OpenPart, output: FileHandle): Promise<void> {
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  for (let position = ETAG_BYTES; position < part.size + ETAG_BYTES; ) {
    const { bytesRead } = await part.handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) throw new Error('a part file shrank while it was being joined');
    for (let offset = 0; offset < bytesRead; ) {
      const { bytesWritten } = await output.write(buffer, offset, bytesRead - offset);
      offset += bytesWritten;
    }
    position += bytesRead;
  }
}

function etagOf(digest: Uint8Array): string {
  return `"${Buffer.from(digest).toString('hex')}"`;
}

/** S3 compares etags without their quotes. */
function unquoted(etag: string): string {
  return etag.replace(/"/g, '');
}

function noSuchUploadOnPut(): FsStoreError {
  return new FsStoreError('NO_SUCH_UPLOAD', 'the multipart upload was completed or aborted');
}
