const EMPTY = Buffer.alloc(0);

/**
 * Reads exact byte counts from an async iterable, however its chunks are cut. A read that fits in
 * the current chunk is a view of it (no copy); only reads that straddle chunks are copied.
 * Chunks are kept as views until read, so the source must not reuse a chunk's memory after
 * yielding it (Node streams never do).
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunk: Buffer = EMPTY;
  private offset = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Resolves to exactly `size` bytes, or fewer only when the input ends first. */
  async read(size: number): Promise<Buffer> {
    if (this.offset === this.chunk.length) await this.pull();
    if (this.chunk.length - this.offset >= size) return this.take(size);
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size && (this.offset < this.chunk.length || (await this.pull()))) {
      const piece = this.take(Math.min(size - filled, this.chunk.length - this.offset));
      out.set(piece, filled);
      filled += piece.length;
    }
    return out.subarray(0, filled);
  }

  /** Whether at least one more byte follows. */
  async hasMore(): Promise<boolean> {
    return this.offset < this.chunk.length || this.pull();
  }

  /** Lets the source release its resources when reading stops early. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.iterator.return?.();
  }

  private take(size: number): Buffer {
    const piece = this.chunk.subarray(this.offset, this.offset + size);
    this.offset += size;
    return piece;
  }

  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        const value = next.value;
        this.chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
        this.offset = 0;
        return true;
      }
    }
    return false;
  }
}
