import type { Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rmdir, unlink } from 'node:fs/promises';

// Filesystem helpers shared by the fs driver's single uploads and its multipart uploads.

export type FsStoreErrorCode =
  | 'NO_SUCH_UPLOAD'
  | 'BODY_LENGTH_MISMATCH'
  | 'KEY_CONFLICT'
  | 'STORAGE_FULL'
  | 'STORAGE_UNAVAILABLE'
  | 'UPLOAD_EXPIRED'
  | 'UPLOAD_CLOSED';

export interface ReceiveOptions {
  /** The upload's URL expiry: a body still arriving then is cut off, and nothing is stored after it. */
  deadline?: Date;
  /** Asked once the body is on disk, right before it replaces the key: false stores nothing. */
  mayCommit?: () => Promise<boolean>;
}

/** A failure of `receive` that the blob handler turns into a specific HTTP answer. */
export class FsStoreError extends Error {
  override readonly name = 'FsStoreError';
  constructor(
    readonly code: FsStoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export async function writeExactly(
  handle: FileHandle,
  body: AsyncIterable<Uint8Array>,
  length: number,
  timeLeftMs: number,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<void> {
  const chunks = body[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (Number.isFinite(timeLeftMs)) {
      const expire = () => reject(new FsStoreError('UPLOAD_EXPIRED', 'the upload URL expired before the body arrived'));
      timer = setTimeout(expire, Math.min(Math.max(0, timeLeftMs), MAX_TIMER_MS));
    }
  });
  expired.catch(() => undefined);
  let received = 0;
  try {
    for (;;) {
      const next = await nextChunk(chunks, expired);
      if (next.done) {
        break;
      }
      received += next.value.length;
      if (received > length) {
        throw new FsStoreError('BODY_LENGTH_MISMATCH', 'the body is longer than its declared length');
      }
      onChunk?.(next.value);
      for (let offset = 0; offset < next.value.length; ) {
        const { bytesWritten } = await handle.write(next.value, offset, next.value.length - offset);
        offset += bytesWritten;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (received !== length) {
    throw new FsStoreError('BODY_LENGTH_MISMATCH', 'the body is shorter than its declared length');
  }
}

/** setTimeout fires at once for longer delays; URLs live at most a week, well below this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function nextChunk(chunks: AsyncIterator<Uint8Array>, expired: Promise<never>): Promise<IteratorResult<Uint8Array>> {
  try {
    return await Promise.race([chunks.next(), expired]);
  } catch (err) {
    if (err instanceof FsStoreError) {
      // Stops reading (a request body is destroyed); the caller removes the temporary file.
      chunks.return?.().catch(() => undefined);
      throw err;
    }
    throw new FsStoreError('BODY_LENGTH_MISMATCH', 'the upload was interrupted', { cause: err });
  }
}

export async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable; a crash right after answering 200 must not lose the object.
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The entries of a directory; none when it does not exist (any more). */
export async function entriesOf(directory: string): Promise<Dirent[]> {
  try {
    return await readdir(directory, { withFileTypes: true });
  } catch (err) {
    if (hasCode(err, 'ENOENT', 'ENOTDIR')) {
      return [];
    }
    throw err;
  }
}

export async function unlinkCounted(path: string): Promise<number> {
  try {
    await unlink(path);
    return 1;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) {
      return 0;
    }
    throw err;
  }
}

export async function removeIfEmpty(directory: string): Promise<void> {
  try {
    await rmdir(directory);
  } catch (err) {
    if (!hasCode(err, 'ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) {
      throw err;
    }
  }
}

export function toFsStoreError(err: unknown): unknown {
  if (err instanceof FsStoreError) {
    return err;
  }
  if (hasCode(err, 'ENOSPC', 'EDQUOT')) {
    return new FsStoreError('STORAGE_FULL', 'the storage volume is full', { cause: err });
  }
  if (hasCode(err, 'EISDIR', 'ENOTDIR', 'ENOTEMPTY')) {
    return new FsStoreError('KEY_CONFLICT', 'the key collides with a key prefix', { cause: err });
  }
  if (hasCode(err, 'ENOENT')) {
    return new FsStoreError('STORAGE_UNAVAILABLE', 'the storage directory is missing', { cause: err });
  }
  return err;
}

// Duck-typed: errors from Node's fs are not `instanceof Error` inside a jest sandbox.
export function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  return codes.includes(errorCode(err) ?? '');
}
