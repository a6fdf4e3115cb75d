/**
 * Memory reuse between a stream of this library and the code that writes it out. A chunk the
 * consumer is done with (its socket or file write completed) goes back to the stream that made it,
 * and later chunks reuse that memory, still hot in cache: fresh memory costs a page fault per 4 KiB.
 */

type Recycle = (chunk: Uint8Array) => void;

const recyclers = new WeakMap<object, Recycle>();

/** Lets `pipeTo` give chunks of `stream` back to `recycle`. */
export function reuseChunks<S extends object>(stream: S, recycle: Recycle): S {
  recyclers.set(stream, recycle);
  return stream;
}

/** Where `pipeTo` writes. */
export interface ChunkSink {
  /**
   * Takes one chunk. Call `done` once nothing reads the chunk's memory any more (e.g. in the
   * write's completion callback), or never. Resolve when the sink is ready for the next chunk.
   */
  write(chunk: Uint8Array, done: () => void): Promise<void> | void;
}

/**
 * Writes every chunk of `source` to `sink`, in order, and resolves once the last one was handed
 * over. Chunks of `encrypt` and `decrypt` streams are reused once the sink calls `done`; for any
 * other source `done` does nothing.
 */
export async function pipeTo(source: AsyncIterable<Uint8Array>, sink: ChunkSink): Promise<void> {
  const recycle = recyclers.get(source);
  for await (const chunk of source) {
    await sink.write(chunk, recycle ? () => recycle(chunk) : ignore);
  }
}

function ignore(): void {}
