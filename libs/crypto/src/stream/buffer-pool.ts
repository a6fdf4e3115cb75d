/**
 * Large buffers kept between streams. Every blob (and every part of a multipart upload) needs a
 * few MiB of slot and output memory; allocated fresh per part, freed memory is handed back to the
 * allocator in pieces it does not return to the system, and a long upload's RSS creeps up. Reused,
 * it stays flat. A buffer comes back only once nothing can read or write it any more.
 */
const MAX_SPARE_PER_SIZE = 24;

const spare = new Map<number, Buffer[]>();

export function takeBuffer(size: number): Buffer {
  return spare.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

export function giveBack(buffer: Buffer): void {
  // Only whole buffers of their own (not views into another) are reused.
  if (buffer.byteOffset !== 0 || buffer.length !== buffer.buffer.byteLength) return;
  let list = spare.get(buffer.length);
  if (!list) spare.set(buffer.length, (list = []));
  if (list.length < MAX_SPARE_PER_SIZE) list.push(buffer);
}
