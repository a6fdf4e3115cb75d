import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DecryptionError } from '../format/decryption-error';
import { assertKeySize } from '../format/keys';
import { FRAME_SIZE } from './decrypt-range';
import type { RangeReply, RangeRequest, RangeSetup } from './range-protocol';

/** The compiled worker, found alike from `src/stream/` (jest, after a build) and `dist/stream/`. */
const WORKER_FILE = join(__dirname, '..', '..', 'dist', 'stream', 'range-worker.js');

export interface RangeDecryptorOptions {
  /** The file key. */
  key: Uint8Array;
  /** The blob's nonce prefix (7 bytes), checked against the key commitment beforehand. */
  prefix: Uint8Array;
  /** Size of the whole (strict) blob. */
  blobSize: number;
  /** Frames of each range (the last range may have fewer). */
  rangeFrames: number;
  /** The plaintext file, open for reading and writing; it must stay open until `close` resolves. */
  fd: number;
  /** Ciphertext buffers: how many ranges may be downloaded or waiting for the worker at once. */
  slots: number;
}

/**
 * The decrypting side of a ranged download, on a worker thread beside the sockets: the caller
 * fills a slot (`slot(n)`) with the whole frames of range `index` and hands it over with `open`;
 * the worker verifies every frame (`openFrameRange`), writes the range's plaintext at its place in
 * the file only once all of it verified, and hashes the plaintext in file order while ranges finish
 * in any order. `open` answers the range's proof (`rangeProof`: the SHA-256 of its GCM tags) for a
 * resume record; `check` verifies a range already on disk against such a proof by encrypting it
 * again, so no range needs a SHA-256 of its own. Any range that does not verify fails with one
 * `DecryptionError`; file errors keep their `code` (ENOSPC, EIO…).
 */
export class RangeDecryptor {
  private readonly worker: Worker;
  private readonly slotBytes: Buffer;
  private readonly slotSize: number;
  private readonly pending = new Map<number, { resolve: (reply: RangeReply) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: RangeDecryptorOptions) {
    assertKeySize(options.key);
    if (!Number.isSafeInteger(options.rangeFrames) || options.rangeFrames < 1) throw new RangeError('rangeFrames must be a positive integer');
    if (!Number.isSafeInteger(options.slots) || options.slots < 1) throw new RangeError('slots must be a positive integer');
    this.slotSize = options.rangeFrames * FRAME_SIZE;
    const slots = new SharedArrayBuffer(options.slots * this.slotSize);
    this.slotBytes = Buffer.from(slots);
    this.worker = new Worker(WORKER_FILE);
    // Referenced only while a request waits (`request`), so an abandoned decryptor cannot keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: RangeReply) => this.settle(reply));
    this.worker.once('error', (error) => this.fail(error));
    this.worker.once('exit', () => this.fail(new Error('the decrypting worker exited')));
    const setup: RangeSetup = { key: options.key, prefix: options.prefix, blobSize: options.blobSize, rangeFrames: options.rangeFrames, fd: options.fd, slots };
    this.worker.postMessage(setup);
  }

  /** The memory of slot `slot` (one range of whole frames long), to fill before `open`. */
  slot(slot: number): Buffer {
    return this.slotBytes.subarray(slot * this.slotSize, (slot + 1) * this.slotSize);
  }

  /**
   * Decrypts range `index`, whose `length` bytes of ciphertext are at the start of slot `slot`, and
   * writes its plaintext; resolves with its proof once it is written. The slot may be filled again
   * once this settles.
   */
  async open(index: number, slot: number, length: number): Promise<string> {
    const reply = await this.request({ op: 'open', id: 0, index, slot, length });
    return (reply as { proof: string }).proof;
  }

  /** Whether the plaintext of range `index` on disk is the one `proof` was given for; if so it counts as written. */
  async check(index: number, proof: string): Promise<boolean> {
    const reply = await this.request({ op: 'check', id: 0, index, proof });
    return (reply as { ok: boolean }).ok;
  }

  /** SHA-256 (lowercase hex) of the whole plaintext, once every range was opened or checked. */
  async sha256(): Promise<string> {
    const reply = await this.request({ op: 'digest', id: 0 });
    return (reply as { sha256: string }).sha256;
  }

  /** Stops the worker; resolves once it no longer touches the file. */
  async close(): Promise<void> {
    this.worker.removeAllListeners();
    this.fail(new Error('the decryptor is closed'));
    await this.worker.terminate();
  }

  private request(request: RangeRequest): Promise<RangeReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<RangeReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  private settle(reply: RangeReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!('error' in reply)) return waiter.resolve(reply);
    if (reply.error === 'decryption') return waiter.reject(new DecryptionError());
    waiter.reject(Object.assign(new Error(reply.message ?? 'the decrypting worker failed'), reply.code ? { code: reply.code } : {}));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
