/**
 * Messages between a `RangeDecryptor` (range-decryptor.ts, the calling thread) and its worker
 * (range-worker.ts). Imported by both, so it holds only data.
 */

/** The one message that starts the worker. */
export interface RangeSetup {
  /** The file key (32 bytes); it stays in this process, as on the calling thread. */
  key: Uint8Array;
  /** The blob's nonce prefix, checked against the key commitment beforehand. */
  prefix: Uint8Array;
  blobSize: number;
  /** Frames of every range but the last. */
  rangeFrames: number;
  /** The plaintext file, open for reading and writing; the worker writes and reads it by position. */
  fd: number;
  /** Ciphertext slots, each `rangeFrames` full frames long. */
  slots: SharedArrayBuffer;
  /** Plaintext slots, each `rangeFrames` chunks long: the worker decrypts into them, the caller hashes from them. */
  plain: SharedArrayBuffer;
}

export type RangeRequest =
  /**
   * Decrypt range `index` from slot `slot` (`length` bytes) into a free plaintext slot, write it,
   * answer its proof and the plaintext slot, which the caller gives back with `free`.
   */
  | { op: 'open'; id: number; index: number; slot: number; length: number }
  /** Whether the plaintext of range `index` on disk has this proof; answered with the plaintext slot it was read into. */
  | { op: 'check'; id: number; index: number; proof: string }
  /** The caller is done with a plaintext slot (not answered). */
  | { op: 'free'; id: number; plainSlot: number };

export type RangeReply =
  | { id: number; proof: string; plainSlot: number; length: number }
  | { id: number; ok: boolean; plainSlot: number; length: number }
  /** `decryption`: the range does not verify; `io`: the file could not be written or read. */
  | { id: number; error: 'decryption' | 'io' | 'internal'; code?: string; message?: string };
