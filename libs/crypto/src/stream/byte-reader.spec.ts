import { ByteReader } from './byte-reader';

async function* pieces(...parts: number[][]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Uint8Array.from(part);
}

describe('ByteReader', () => {
  it('reads exact sizes across chunk boundaries and skips empty chunks', async () => {
    const reader = new ByteReader(pieces([1, 2], [], [3, 4, 5], [6]));
    expect([...(await reader.read(3))]).toEqual([1, 2, 3]);
    expect([...(await reader.read(1))]).toEqual([4]);
    expect(await reader.hasMore()).toBe(true);
    expect([...(await reader.read(5))]).toEqual([5, 6]);
    expect(await reader.hasMore()).toBe(false);
    expect((await reader.read(4)).length).toBe(0);
  });

  it('returns a view, not a copy, when the bytes lie in one chunk', async () => {
    const chunk = Buffer.from([9, 8, 7, 6]);
    const reader = new ByteReader((async function* () { yield chunk; })());
    const read = await reader.read(2);
    chunk[0] = 1;
    expect([...read]).toEqual([1, 8]);
  });

  it('closes the source when reading stops early, but not after it ended', async () => {
    let returns = 0;
    const source = (ended: boolean): AsyncIterable<Uint8Array> => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => (ended ? { done: true, value: undefined } : { done: false, value: Uint8Array.of(1) }),
        return: async () => {
          returns++;
          return { done: true, value: undefined };
        },
      }),
    });
    const open = new ByteReader(source(false));
    await open.read(1);
    await open.close();
    await open.close();
    expect(returns).toBe(1);

    const ended = new ByteReader(source(true));
    expect(await ended.hasMore()).toBe(false);
    await ended.close();
    expect(returns).toBe(1);
  });
});
