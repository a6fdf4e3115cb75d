/**
 * Synchronous clean-ups (deleting a partial output file) that must also run when the process is
 * interrupted. The entry point runs them on SIGINT/SIGTERM before exiting.
 */
const cleanups = new Set<() => void>();

/** Registers `fn` and returns a function that unregisters it. */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export function runInterruptCleanups(): void {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      /* best effort: the process is exiting */
    }
  }
  cleanups.clear();
}
