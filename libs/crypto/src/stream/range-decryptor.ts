import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CHUNK_SIZE } from '../format/blob';
import { DecryptionError } from '../format/decryption-error';
import { assertKeySize } from '../format/keys';
import { FRAME_SIZE, frameCountOf, plaintextSizeOf } from './decrypt-range';
import { PrestartedWorker } from './prestarted-worker';
import type { RangeReply, RangeRequest, RangeSetup } from './range-protocol';

/** The compiled worker, found alike from `src/stream/` (jest, after a build) and `dist/stream/`. */
const WORKER_FILE = join(__dirname, '..', '..', 'dist', 'stream', 'range-worker.js');

/** Plaintext slots at most. */
const PLAIN_SLOTS = 4;

const ahead = new PrestartedWorker(WORKER_FILE);

/** Starts the worker of a coming `RangeDecryptor` now (see PrestartedWorker). */
export function prestartRangeDecryptor(): void {
  ahead.start();
}

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
 * the worker verifies every frame (`openFrameRange`) and writes the range's plaintext at its place
 * in the file only once all of it verified, while this thread hashes the plaintext in file order
 * (from the worker's shared plaintext slot when the range is next in line, else read back from the
 * file, the page cache, when its turn comes). `open` answers the range's proof (`rangeProof`: the
 * SHA-256 of its GCM tags) for a resume record; `check` verifies a range already on disk against
 * such a proof by encrypting it again, so no range needs a SHA-256 of its own. Any range that does
 * not verify fails with one `DecryptionError`; file errors keep their `code` (ENOSPC, EIO…).
 */
export class RangeDecryptor {
  private readonly worker: Worker;
  private readonly slotBytes: Buffer;
  private readonly slotSize: number;
  private readonly pending = new Map<number, { resolve: (reply: RangeReply) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private readonly plainBytes: Buffer;
  private readonly plainSize: number;
  private readonly fd: number;
  private readonly rangeFrames: number;
  private readonly plaintextSize: number;
  private readonly count: number;
  private readonly hash = createHash('sha256');
  /** Ranges on disk, verified, whose turn in the hash has not come. */
  private readonly waiting = new Set<number>();
  private next = 0;
  private back: Buffer | undefined;

  constructor(options: RangeDecryptorOptions) {
    assertKeySize(options.key);
    if (!Number.isSafeInteger(options.rangeFrames) || options.rangeFrames < 1) throw new RangeError('rangeFrames must be a positive integer');
    if (!Number.isSafeInteger(options.slots) || options.slots < 1) throw new RangeError('slots must be a positive integer');
    this.slotSize = options.rangeFrames * FRAME_SIZE;
    const slots = new SharedArrayBuffer(options.slots * this.slotSize);
    this.slotBytes = Buffer.from(slots);
    this.plainSize = options.rangeFrames * CHUNK_SIZE;
    // Plaintext slots: one being decrypted into, others being written or hashed; each comes back
    // within a range's write and hash, so a few are enough whatever the number of connections.
    const plain = new SharedArrayBuffer(Math.min(options.slots + 1, PLAIN_SLOTS) * this.plainSize);
    this.plainBytes = Buffer.from(plain);
    this.fd = options.fd;
    this.rangeFrames = options.rangeFrames;
    this.plaintextSize = plaintextSizeOf(options.blobSize);
    this.count = Math.ceil(frameCountOf(options.blobSize) / options.rangeFrames);
    this.worker = ahead.take();
    // Referenced only while a request waits (`request`), so an abandoned decryptor cannot keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: RangeReply) => this.settle(reply));
    this.worker.once('error', (error) => this.fail(error));
    this.worker.once('exit', () => this.fail(new Error('the decrypting worker exited')));
    const setup: RangeSetup = { key: options.key, prefix: options.prefix, blobSize: options.blobSize, rangeFrames: options.rangeFrames, fd: options.fd, slots, plain };
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
    const reply = (await this.request({ op: 'open', id: 0, index, slot, length })) as { proof: string; plainSlot: number; length: number };
    this.hashed(index, reply);
    return reply.proof;
  }

  /** Whether the plaintext of range `index` on disk is the one `proof` was given for; if so it counts as written. */
  async check(index: number, proof: string): Promise<boolean> {
    if (index < this.next || this.waiting.has(index)) throw new Error('internal: range checked twice');
    const reply = (await this.request({ op: 'check', id: 0, index, proof })) as { ok: boolean; plainSlot: number; length: number };
    if (reply.ok) this.hashed(index, reply);
    else this.worker.postMessage({ op: 'free', id: -1, plainSlot: reply.plainSlot });
    return reply.ok;
  }

  /** SHA-256 (lowercase hex) of the whole plaintext, once every range was opened or checked. */
  async sha256(): Promise<string> {
    if (this.failure) throw this.failure;
    if (this.next !== this.count) throw new Error(`internal: ${this.count - this.next} ranges were not hashed`);
    return this.hash.digest('hex');
  }

  /** Stops the worker; resolves once it no longer touches the file. */
  async close(): Promise<void> {
    this.worker.removeAllListeners();
    this.fail(new Error('the decryptor is closed'));
    await this.worker.terminate();
  }

  /**
   * Range `index` is verified and on disk, its plaintext in the worker's slot `plainSlot`: hashed
   * now if it is next in file order, with every range waiting behind it (read back from the file);
   * else it waits for its turn. The slot goes back to the worker either way.
   */
  private hashed(index: number, { plainSlot, length }: { plainSlot: number; length: number }): void {
    try {
      if (index !== this.next) {
        this.waiting.add(index);
        return;
      }
      this.hash.update(this.plainBytes.subarray(plainSlot * this.plainSize, plainSlot * this.plainSize + length));
      this.next++;
      while (this.waiting.delete(this.next)) {
        this.hash.update(this.readBack(this.next));
        this.next++;
      }
    } finally {
      this.worker.postMessage({ op: 'free', id: -1, plainSlot });
    }
  }

  private readBack(index: number): Buffer {
    this.back ??= Buffer.allocUnsafeSlow(this.plainSize);
    const start = index * this.rangeFrames * CHUNK_SIZE;
    const length = Math.min(this.plaintextSize, start + this.plainSize) - start;
    let got = 0;
    while (got < length) {
      const read = readSync(this.fd, this.back, got, length - got, start + got);
      if (read === 0) throw Object.assign(new Error('the partial file is shorter than what was written to it'), { code: 'ESHORT' });
      got += read;
    }
    return this.back.subarray(0, length);
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
