/**
 * The shared-memory ring between the calling thread and the hashing worker (hash-ring.ts is the
 * calling thread's side, hash-worker.ts the worker's). Imported by both, so it holds only data.
 *
 * Plaintext flows through SLOTS slots of SLOT_SIZE bytes, in order: slot n lives at
 * `(n % SLOTS) * SLOT_SIZE`. Counters in the control words say how far each party got:
 *   FILLED   slots holding plaintext (filled by the calling thread, or by the worker reading a file)
 *   HASHED   slots the worker has hashed
 *   RELEASED slots the calling thread no longer reads (sealed, or copied in)
 * Slot n may be filled again once slot n - SLOTS is both hashed and released.
 */

/** 16 frames of 64 KiB: a slot is sealed into one output chunk. */
export const SLOT_SIZE = 16 * 65_536;
export const SLOTS = 4;

/** Indexes of the control words (an Int32Array over a SharedArrayBuffer). */
export const Word = {
  /** Bumped with every change the worker may wait for: the one word it sleeps on. */
  SIGNAL: 0,
  FILLED: 1,
  HASHED: 2,
  RELEASED: 3,
  /** 1 once the calling thread has filled its last slot. */
  CLOSED: 4,
  /** 1 while the worker sleeps: only then is a wake-up (a system call) needed. */
  WORKER_SLEEPING: 5,
  /** 1 while the calling thread waits: only then does the worker notify. */
  CALLER_WAITING: 6,
} as const;
export const CONTROL_WORDS = 8;

/** An open file the worker reads itself: exactly `size` bytes from `offset` (default its start). */
export interface RingFile {
  fd: number;
  size: number;
  offset?: number;
}

/** The one message that starts the worker's work. */
export interface RingSetup {
  control: SharedArrayBuffer;
  /** Int32 length of each slot. */
  lengths: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  file?: RingFile;
}

/** The worker's one answer: the digest, or how much shorter the file was than its size. */
export type RingReport = { sha256: string; plaintextSize: number } | { shortBy: number };
