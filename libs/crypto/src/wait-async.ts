// Node 20 has Atomics.waitAsync, but TypeScript declares it only from the ES2024 lib on.
type WaitAsync = (
  array: Int32Array<SharedArrayBuffer>,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/** `Atomics.waitAsync`: waits without blocking the event loop until `array[index]` is no longer `value`. */
export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
