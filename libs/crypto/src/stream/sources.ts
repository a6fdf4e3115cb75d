import { read } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/**
 * An open file to encrypt: exactly `size` bytes from `offset` (default its start), read with
 * positional reads (by the hashing worker itself when there is one). The descriptor must stay open
 * until the blob is read to its end or closed; it is not closed here.
 */
export interface FileSource {
  fd: number;
  size: number;
  /** Where the bytes start in the file (a part of a multipart upload); 0 when absent. */
  offset?: number;
}

export type EncryptSource = AsyncIterable<Uint8Array> | FileSource;

export function isFileSource(src: EncryptSource): src is FileSource {
  return typeof (src as FileSource).fd === 'number';
}

/** A file that ended before the size it was given: it changed while it was read. */
export class FileChangedError extends Error {
  constructor(
    readonly bytesRead: number,
    readonly expectedSize: number,
  ) {
    super(`the file changed while it was read (it ended after ${bytesRead} of ${expectedSize} bytes)`);
    this.name = 'FileChangedError';
  }
}

/**
 * A source read into memory it is given (resolving to the number of bytes read, 0 at the end),
 * which can be told to stop early (it then releases what it holds).
 */
export interface BlockSource {
  readInto(target: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

/** Any encrypt source as a block source: a file with positional reads, chunks by copying. */
export function toBlockSource(src: EncryptSource): BlockSource {
  return isFileSource(src) ? new FileReader(src) : new ChunkReader(src);
}

/** Exactly `file.size` bytes of the file from `file.offset`. */
class FileReader implements BlockSource {
  private position = 0;

  constructor(private readonly file: FileSource) {}

  async readInto(target: Uint8Array): Promise<number> {
    const wanted = Math.min(target.length, this.file.size - this.position);
    if (wanted === 0) return 0;
    const { bytesRead } = await readAt(this.file.fd, target, 0, wanted, (this.file.offset ?? 0) + this.position);
    if (bytesRead === 0) throw new FileChangedError(this.position, this.file.size);
    this.position += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {}
}

/**
 * An async iterable read as a block source: each chunk is copied out in full before the next is
 * asked for, so the source may reuse a chunk's memory once it is asked for the next one.
 */
class ChunkReader implements BlockSource {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(src: AsyncIterable<Uint8Array>) {
    this.iterator = src[Symbol.asyncIterator]();
  }

  async readInto(target: Uint8Array): Promise<number> {
    while (this.pending.length === 0) {
      if (this.done) return 0;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return 0;
      }
      this.pending = next.value;
    }
    const size = Math.min(this.pending.length, target.length);
    target.set(this.pending.subarray(0, size));
    this.pending = this.pending.subarray(size);
    return size;
  }

  /** Closes the source when it was not read to its end. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }
}
