/**
 * Clean-ups that must also run when the process is interrupted (SIGINT/SIGTERM): deleting a
 * partial output file (synchronous), discarding a pending upload on the server (asynchronous).
 * The entry point runs them before exiting.
 */
type Cleanup = () => void | Promise<unknown>;

const cleanups = new Set<Cleanup>();
let interrupted = false;

/** Registers `fn` and returns a function that unregisters it. */
export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Whether an interruption is being handled: the command's own outcome no longer decides the exit. */
export function wasInterrupted(): boolean {
  return interrupted;
}

/**
 * Runs every registered clean-up once: the synchronous ones at once (all of them, before the
 * first await), the asynchronous ones awaited together for at most `limitMs`.
 */
export async function runInterruptCleanups(limitMs = 10_000): Promise<void> {
  interrupted = true;
  const running: Promise<unknown>[] = [];
  for (const fn of cleanups) {
    try {
      const result = fn();
      if (result) running.push(Promise.resolve(result).catch(() => undefined));
    } catch {
      /* best effort: the process is exiting */
    }
  }
  cleanups.clear();
  if (running.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  await Promise.race([Promise.all(running), limit]);
  clearTimeout(timer);
}
