import { Worker } from 'node:worker_threads';
import { waitAsync } from './wait-async';
import type { Sha256Stream } from './sha256';

const SLOT_COUNT = 8;
const SLOT_SIZE = 512 * 1024;
/**
 * A sleeping worker is woken only once this many slots wait (or at the end): a wake-up is a
 * system call and a context switch (waking per slot put ~0.2 s per GiB into them), so it should
 * start a burst of work.
 */
const WAKE_AT = SLOT_COUNT / 2;

// Control words in shared memory. The main thread fills slot `published % SLOT_COUNT`, then bumps
// PUBLISHED; the worker hashes slots in order and bumps HASHED. Whatever the worker waits for also
// bumps SIGNAL, the one word it sleeps on, so it cannot miss a wake-up; SLEEPING tells the main
// thread whether a wake-up (a system call) may be needed.
const SIGNAL = 0;
const PUBLISHED = 1;
const HASHED = 2;
const CLOSED = 3;
const SLEEPING = 4;

/**
 * Plain JavaScript evaluated in the worker, so the same code runs from the compiled library and
 * from the TypeScript sources under jest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { slots, lengths, control } = workerData;
const state = new Int32Array(control);
const sizes = new Int32Array(lengths);
const hash = require('node:crypto').createHash('sha256');
for (let hashed = 0; ; ) {
  const signal = Atomics.load(state, ${SIGNAL});
  if (Atomics.load(state, ${PUBLISHED}) !== hashed) {
    const slot = hashed % ${SLOT_COUNT};
    hash.update(new Uint8Array(slots, slot * ${SLOT_SIZE}, sizes[slot]));
    Atomics.store(state, ${HASHED}, ++hashed);
    Atomics.notify(state, ${HASHED});
  } else if (Atomics.load(state, ${CLOSED}) === 1) {
    parentPort.postMessage(hash.digest('hex'));
    break;
  } else {
    Atomics.store(state, ${SLEEPING}, 1);
    Atomics.wait(state, ${SIGNAL}, signal);
    Atomics.store(state, ${SLEEPING}, 0);
  }
}
`;

/**
 * SHA-256 on a worker thread, so hashing runs on one core while AES-GCM runs on another. Data is
 * copied into a ring of shared-memory slots, which cost the main thread no more than posting a
 * message per batch, and less in quiet runs (bench/README-crypto.md). The worker is unreferenced
 * except while we wait for it, so an abandoned stream cannot keep the process alive.
 */
export class WorkerSha256 implements Sha256Stream {
  private readonly slots = new SharedArrayBuffer(SLOT_COUNT * SLOT_SIZE);
  private readonly bytes = new Uint8Array(this.slots);
  private readonly lengths = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * 4));
  private readonly state = new Int32Array(new SharedArrayBuffer(5 * 4));
  private readonly worker: Worker;
  private readonly digestHex: Promise<string>;
  /** Rejects when the worker fails or exits, so no wait can hang on a dead worker. */
  private readonly failed: Promise<never>;
  private published = 0;
  private filled = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { slots: this.slots, lengths: this.lengths.buffer, control: this.state.buffer },
    });
    this.worker.unref();
    this.digestHex = new Promise((resolve) => this.worker.once('message', resolve));
    this.failed = new Promise((_resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', () => reject(new Error('the SHA-256 worker exited')));
    });
    this.failed.catch(() => undefined);
  }

  async update(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      if (this.filled === 0) await this.waitForFreeSlot();
      const size = Math.min(data.length - offset, SLOT_SIZE - this.filled);
      this.bytes.set(data.subarray(offset, offset + size), (this.published % SLOT_COUNT) * SLOT_SIZE + this.filled);
      this.filled += size;
      offset += size;
      if (this.filled === SLOT_SIZE) this.publish();
    }
  }

  async digest(): Promise<string> {
    if (this.filled > 0) this.publish();
    Atomics.store(this.state, CLOSED, 1);
    this.signal();
    return this.whileReferenced(() => Promise.race([this.digestHex, this.failed]));
  }

  dispose(): void {
    this.worker.removeAllListeners();
    void this.worker.terminate();
  }

  private publish(): void {
    this.lengths[this.published % SLOT_COUNT] = this.filled;
    this.filled = 0;
    Atomics.store(this.state, PUBLISHED, ++this.published);
    this.signal(this.published - Atomics.load(this.state, HASHED) >= WAKE_AT);
  }

  /** Bumps SIGNAL; wakes a sleeping worker only when `wake` (enough work waits, or the end). */
  private signal(wake = true): void {
    Atomics.add(this.state, SIGNAL, 1);
    if (wake && Atomics.load(this.state, SLEEPING) === 1) Atomics.notify(this.state, SIGNAL);
  }

  private async waitForFreeSlot(): Promise<void> {
    let hashed = Atomics.load(this.state, HASHED);
    if (this.published - hashed < SLOT_COUNT) return;
    await this.whileReferenced(async () => {
      while (this.published - hashed >= SLOT_COUNT) {
        const wait = waitAsync(this.state, HASHED, hashed);
        if (wait.async) await Promise.race([wait.value, this.failed]);
        hashed = Atomics.load(this.state, HASHED);
      }
    });
  }

  private async whileReferenced<T>(wait: () => Promise<T>): Promise<T> {
    this.worker.ref();
    try {
      return await wait();
    } finally {
      this.worker.unref();
    }
  }
}
