import { join } from 'node:path';
import { PrestartedWorker } from './prestarted-worker';
import { CONTROL_WORDS, SLOT_SIZE, SLOTS, Word, type RingFile, type RingReport, type RingSetup } from './ring-layout';
import { FileChangedError } from './sources';

/**
 * The compiled worker, found alike from `src/stream/` (jest, after `npm run build`) and
 * `dist/stream/`: a worker thread runs JavaScript, not the TypeScript sources.
 */
const WORKER_FILE = join(__dirname, '..', '..', 'dist', 'stream', 'hash-worker.js');

/**
 * Below this many bytes the worker's start-up (tens of milliseconds) costs more than the second
 * core saves, so the calling thread hashes by itself.
 */
const WORKER_THRESHOLD = 8 * 1024 * 1024;

/** Whether a plaintext (or blob) of `size` bytes is hashed on a worker; unknown sizes are not. */
export function hashesOnWorker(size: number | undefined): boolean {
  return size !== undefined && size > WORKER_THRESHOLD;
}

/**
 * A sleeping worker is woken once this many filled slots wait (or at the end): a wake-up is a
 * system call and a context switch, so it should start a burst of work.
 */
const WAKE_AT = 2;

// Node 20 has Atomics.waitAsync, but TypeScript declares it only from the ES2024 lib on.
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const ahead = new PrestartedWorker(WORKER_FILE);

/** Starts the worker of the next ring now (see PrestartedWorker); it holds no secret, it only reads and hashes. */
export function prestartHashWorker(): void {
  ahead.start();
}

export interface RingDigest {
  sha256: string;
  plaintextSize: number;
}

/**
 * The calling thread's side of the hash ring (ring-layout.ts): SHA-256 of a plaintext on a worker
 * thread while this thread runs AES-GCM. Either this thread fills the slots (`slotMemory`,
 * `publish`, `close`), or, given a file, the worker reads them (`filledSlot`); either way this
 * thread `release`s each slot once it no longer reads it. The worker is unreferenced except while
 * we wait for it, so an abandoned stream cannot keep the process alive.
 */
export class HashRing {
  private readonly slots = new SharedArrayBuffer(SLOTS * SLOT_SIZE);
  private readonly bytes = Buffer.from(this.slots);
  private readonly lengths = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly state = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly worker = ahead.take();
  private readonly digest: Promise<RingDigest>;
  /** Rejects when the worker fails or exits early, so no wait can hang on a dead worker. */
  private readonly failed: Promise<never>;
  private stopped = false;
  private waiting = 0;

  constructor(private readonly file?: RingFile) {
    this.worker.unref();
    const setup: RingSetup = { control: this.state.buffer, lengths: this.lengths.buffer, slots: this.slots, file };
    this.worker.postMessage(setup);
    let reported = false;
    let resolveDigest!: (digest: RingDigest) => void;
    this.digest = new Promise((resolve) => (resolveDigest = resolve));
    this.failed = new Promise<never>((_resolve, reject) => {
      this.worker.once('message', (report: RingReport) => {
        reported = true;
        if ('shortBy' in report) reject(new FileChangedError(file!.size - report.shortBy, file!.size));
        else resolveDigest(report);
      });
      this.worker.once('error', reject);
      // Messages posted before the worker ended are delivered before 'exit'.
      this.worker.once('exit', () => {
        if (!reported) reject(new Error('the hashing worker exited'));
      });
    });
    this.failed.catch(() => undefined);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The memory of slot `slot` to fill, once the worker has hashed what it held before. */
  async slotMemory(slot: number): Promise<Buffer> {
    await this.waitFor(Word.HASHED, slot - SLOTS + 1);
    const base = (slot % SLOTS) * SLOT_SIZE;
    return this.bytes.subarray(base, base + SLOT_SIZE);
  }

  /** Slot `slot` holds `length` bytes, for the worker to hash. */
  publish(slot: number, length: number): void {
    this.lengths[slot % SLOTS] = length;
    Atomics.store(this.state, Word.FILLED, slot + 1);
    this.signal(slot + 1 - Atomics.load(this.state, Word.HASHED) >= WAKE_AT);
  }

  /** No slot follows the ones published. */
  close(): void {
    Atomics.store(this.state, Word.CLOSED, 1);
    this.signal(true);
  }

  /** The bytes of slot `slot` once the worker has read them from the file. */
  async filledSlot(slot: number): Promise<Buffer> {
    await this.waitFor(Word.FILLED, slot + 1);
    const base = (slot % SLOTS) * SLOT_SIZE;
    return this.bytes.subarray(base, base + this.lengths[slot % SLOTS]);
  }

  /** This thread no longer reads slot `slot`. */
  release(slot: number): void {
    Atomics.store(this.state, Word.RELEASED, slot + 1);
    this.signal(this.file !== undefined);
  }

  /** SHA-256 and size of everything hashed, once the worker has finished. */
  result(): Promise<RingDigest> {
    return this.whileReferenced(() => Promise.race([this.digest, this.failed]));
  }

  /** Stops the worker; resolves once it no longer touches the ring (or the file it reads). */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }

  /** Until the worker's counter `word` reaches `target` (or the ring is stopped). */
  private async waitFor(word: number, target: number): Promise<void> {
    let value = Atomics.load(this.state, word);
    if (value >= target) return;
    this.signal(true);
    await this.whileReferenced(async () => {
      while (value < target && !this.stopped) {
        Atomics.store(this.state, Word.CALLER_WAITING, 1);
        const wait = waitAsync(this.state, word, value);
        if (wait.async) await Promise.race([wait.value, this.failed]);
        value = Atomics.load(this.state, word);
      }
    });
  }

  private signal(wake: boolean): void {
    Atomics.add(this.state, Word.SIGNAL, 1);
    if (wake && Atomics.load(this.state, Word.WORKER_SLEEPING) === 1) Atomics.notify(this.state, Word.SIGNAL);
  }

  /** Two waits can overlap (reading ahead and sealing), hence the count. */
  private async whileReferenced<T>(wait: () => Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.worker.ref();
    try {
      return await wait();
    } finally {
      if (--this.waiting === 0) {
        this.worker.unref();
        Atomics.store(this.state, Word.CALLER_WAITING, 0);
      }
    }
  }
}
