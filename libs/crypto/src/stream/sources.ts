import { read } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/**
 * A source that reads straight into the memory it is given, e.g. `FileHandle.read`: the bytes then
 * land where they are sealed, with no copy. Resolves to the number of bytes read, 0 at the end.
 */
export interface BlockSource {
  readInto(target: Uint8Array): Promise<number>;
}

/**
 * An open file to encrypt: exactly `size` bytes from its start, read with positional reads (by the
 * hashing worker itself when there is one). The descriptor must stay open until the blob is read
 * to its end or closed; it is not closed here.
 */
export interface FileSource {
  fd: number;
  size: number;
}

export type EncryptSource = AsyncIterable<Uint8Array> | BlockSource | FileSource;

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

/** A block source that can be told to stop early (it then releases what it holds). */
export interface ClosableBlockSource extends BlockSource {
  close(): Promise<void>;
}

/** Any encrypt source as a block source. */
export function toBlockSource(src: EncryptSource): ClosableBlockSource {
  if (isFileSource(src)) return new FileReader(src);
  if (typeof (src as BlockSource).readInto === 'function') {
    const block = src as BlockSource;
    return { readInto: (target) => block.readInto(target), close: async () => undefined };
  }
  return new ChunkReader(src as AsyncIterable<Uint8Array>);
}

/** Exactly `file.size` bytes of the file from its start. */
class FileReader implements ClosableBlockSource {
  private position = 0;

  constructor(private readonly file: FileSource) {}

  async readInto(target: Uint8Array): Promise<number> {
    const wanted = Math.min(target.length, this.file.size - this.position);
    if (wanted === 0) return 0;
    const { bytesRead } = await readAt(this.file.fd, target, 0, wanted, this.position);
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
class ChunkReader implements ClosableBlockSource {
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
