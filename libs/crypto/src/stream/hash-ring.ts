import { Worker } from 'node:worker_threads';
import { frameSealer, type FrameSealer } from './aes-gcm';
import { CHUNK_SIZE, MAX_FRAME_SIZE, MAX_FRAMES, NONCE_SIZE, setNonceCounter } from './blob-format';
import { toAesKey } from './keys';
import { waitAsync } from './wait-async';

/**
 * Input ring: slots of 16 chunks, filled by the main thread from a source (or by the worker from a
 * file), hashed by the worker and sealed by the main thread.
 */
const SLOTS = 4;
const SLOT_SIZE = 16 * CHUNK_SIZE;
/** One output chunk holds the frames of one input slot. */
const OUTPUT_CHUNK_SIZE = 16 * MAX_FRAME_SIZE;

// Control words in shared memory. FILLED counts the slots filled (by the main thread, or by the
// worker when it reads a file), HASHED the slots the worker has hashed, SEALED the slots the main
// thread has sealed; a slot is free again once it is both hashed and sealed. CLOSED: the main
// thread has filled its last slot. Whatever the worker may wait for also bumps SIGNAL, the word it
// sleeps on; SLEEPING tells the main thread whether a wake-up is needed at all.
const SIGNAL = 0;
const FILLED = 1;
const HASHED = 2;
const SEALED = 3;
const CLOSED = 4;
const SLEEPING = 5;
/** Set by the main thread while it waits: the worker notifies only then (a notify is not free). */
const MAIN_WAITING = 6;
const CONTROL_WORDS = 8;

/**
 * Plain JavaScript evaluated in the worker (so the same code runs from the compiled library and
 * from the TypeScript sources under jest). It hashes every slot; given a file, it first reads the
 * slot itself, so the bytes are hashed from this core's cache. AES-GCM stays on the main thread:
 * SHA-256 costs about as much as AES-GCM and the socket writes together, so this split keeps both
 * cores equally busy. (One worker doing both was the bottleneck of an upload.)
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
let state, sizes, bytes, file;
const hash = createHash('sha256');
let plaintextSize = 0;

function waitUntil(ready) {
  for (;;) {
    const signal = Atomics.load(state, ${SIGNAL});
    if (ready()) return;
    Atomics.store(state, ${SLEEPING}, 1);
    Atomics.wait(state, ${SIGNAL}, signal);
    Atomics.store(state, ${SLEEPING}, 0);
  }
}

function publish(word, value) {
  Atomics.store(state, word, value);
  if (Atomics.load(state, ${MAIN_WAITING}) === 1) Atomics.notify(state, word);
}

function hashSlot(slot) {
  const base = (slot % ${SLOTS}) * ${SLOT_SIZE};
  const length = sizes[slot % ${SLOTS}];
  hash.update(bytes.subarray(base, base + length));
  plaintextSize += length;
  publish(${HASHED}, slot + 1);
}

/** Reads the next slot of the file; false when the file ended before its size. */
function readSlot(slot) {
  const base = (slot % ${SLOTS}) * ${SLOT_SIZE};
  const wanted = Math.min(${SLOT_SIZE}, file.size - plaintextSize);
  for (let got = 0; got < wanted; ) {
    const read = readSync(file.fd, bytes, base + got, wanted - got, plaintextSize + got);
    if (read === 0) {
      parentPort.postMessage({ shortBy: file.size - plaintextSize - got });
      return false;
    }
    got += read;
  }
  sizes[slot % ${SLOTS}] = wanted;
  publish(${FILLED}, slot + 1);
  return true;
}

function run() {
  for (let slot = 0; ; slot++) {
    if (file) {
      if (plaintextSize === file.size) break;
      waitUntil(() => slot - Atomics.load(state, ${SEALED}) < ${SLOTS});
      if (!readSlot(slot)) return;
    } else {
      waitUntil(() => Atomics.load(state, ${FILLED}) > slot || Atomics.load(state, ${CLOSED}) === 1);
      if (Atomics.load(state, ${FILLED}) <= slot) break;
    }
    hashSlot(slot);
  }
  parentPort.postMessage({ plaintextSize, sha256: hash.digest('hex') });
}

// The work arrives by message, so the thread can be started before it is known.
parentPort.once('message', (work) => {
  state = new Int32Array(work.control);
  sizes = new Int32Array(work.lengths);
  bytes = new Uint8Array(work.input);
  file = work.file;
  run();
});
`;

/** A worker started ahead of the blob that will use it (`prestartEncryptWorker`). */
let prestarted: Worker | undefined;

/**
 * Starts the worker thread of the next `encryptInWorker` blob now, so that its start-up (tens of
 * milliseconds) overlaps what comes first, e.g. the presign request of an upload. The worker gets
 * no secret (it only reads and hashes); one that is never used does not keep the process alive.
 */
export function prestartEncryptWorker(): void {
  if (prestarted) return;
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  // Until a blob takes it, a failure only means the blob starts a worker of its own.
  const forget = () => {
    if (prestarted === worker) prestarted = undefined;
  };
  worker.once('error', forget).once('exit', forget);
  prestarted = worker;
}

function takeWorker(): Worker {
  const worker = prestarted;
  prestarted = undefined;
  // threadId is -1 once the thread has stopped, which may be before 'exit' is emitted.
  if (worker && worker.threadId !== -1) {
    worker.removeAllListeners();
    return worker;
  }
  return new Worker(WORKER_SOURCE, { eval: true });
}

type WorkerMessage = SealedOnWorker | { shortBy: number };

export interface SealedOnWorker {
  sha256: string;
  plaintextSize: number;
}

/**
 * A source that reads straight into the memory it is given, e.g. `FileHandle.read`: on the worker
 * path the bytes then land in the shared ring with no copy. Resolves to the number of bytes
 * read, 0 at the end.
 */
export interface BlockSource {
  readInto(target: Uint8Array): Promise<number>;
}

/**
 * An open file to encrypt: exactly `size` bytes from its start, read with positional reads (on the
 * worker path by the worker itself). The descriptor must stay open until the blob is read to its
 * end or closed; it is not closed here.
 */
export interface FileSource {
  fd: number;
  size: number;
}

export type EncryptSource = AsyncIterable<Uint8Array> | BlockSource | FileSource;

export function isBlockSource(src: EncryptSource): src is BlockSource {
  return typeof (src as BlockSource).readInto === 'function';
}

export function isFileSource(src: EncryptSource): src is FileSource {
  return typeof (src as FileSource).fd === 'number';
}

/** A file that ended before the size it was given: it changed while it was read. */
export class FileChangedError extends Error {
  constructor(readonly bytesRead: number, readonly expectedSize: number) {
    super(`the file changed while it was read (it ended after ${bytesRead} of ${expectedSize} bytes)`);
    this.name = 'FileChangedError';
  }
}

/**
 * AES-GCM of a whole blob on the calling thread and its SHA-256 on a worker thread. For a
 * `FileSource` the worker also reads the file; otherwise the calling thread reads the source into
 * a shared ring (no copy from a `BlockSource`). Same bytes as the inline path.
 */
export async function* sealFramesOnWorker(
  src: EncryptSource,
  key: Uint8Array,
  noncePrefix: Buffer,
  settle: (result: SealedOnWorker) => void,
  onStart: (pipe: EncryptPipe) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  // Started on the first read, so a stream that is never read starts no thread.
  const pipe = new EncryptPipe(src, key, noncePrefix);
  onStart(pipe);
  try {
    yield* pipe.frames(settle);
  } finally {
    // Before the caller may close a file the worker reads.
    await pipe.dispose();
  }
}

export class EncryptPipe {
  private readonly input = new SharedArrayBuffer(SLOTS * SLOT_SIZE);
  private readonly bytes = Buffer.from(this.input);
  private readonly lengths = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly state = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly worker: Worker;
  private readonly file: FileSource | undefined;
  private readonly reader: SlotReader | undefined;
  /** Hash and size of the plaintext, once the worker has sent its final message. */
  private readonly result: Promise<SealedOnWorker>;
  /** Rejects when the worker fails or exits early, so no wait can hang on a dead worker. */
  private readonly failed: Promise<never>;
  private readonly sealFrame: FrameSealer;
  private readonly nonce = Buffer.alloc(NONCE_SIZE);
  private counter = 0;
  private stopped = false;
  private waiting = 0;
  /** Output chunks handed out (reusable once given back) and the ones given back. */
  private readonly issued = new WeakSet<ArrayBufferLike>();
  private readonly spare: Buffer[] = [];

  constructor(src: EncryptSource, key: Uint8Array, noncePrefix: Buffer) {
    this.sealFrame = frameSealer(key, toAesKey(key));
    noncePrefix.copy(this.nonce);
    this.file = isFileSource(src) ? { fd: src.fd, size: src.size } : undefined;
    if (!this.file) this.reader = new SlotReader(isBlockSource(src) ? src : new ChunkReader(src as AsyncIterable<Uint8Array>), this);
    this.worker = takeWorker();
    this.worker.unref();
    this.worker.postMessage({ input: this.input, lengths: this.lengths.buffer, control: this.state.buffer, file: this.file });
    let finished = false;
    let resolveResult!: (result: SealedOnWorker) => void;
    this.result = new Promise((resolve) => (resolveResult = resolve));
    this.failed = new Promise<never>((_resolve, reject) => {
      this.worker.once('message', (message: WorkerMessage) => {
        finished = true;
        if ('shortBy' in message) reject(new FileChangedError(this.file!.size - message.shortBy, this.file!.size));
        else resolveResult(message);
      });
      this.worker.once('error', reject);
      // Messages posted before the worker ended are delivered before 'exit'.
      this.worker.once('exit', () => {
        if (!finished) reject(new Error('the encryption worker exited'));
      });
    });
    this.failed.catch(() => undefined);
  }

  /** Seals slot after slot into output chunks; the last one is yielded once the hash is known. */
  async *frames(settle: (result: SealedOnWorker) => void): AsyncGenerator<Uint8Array, void, undefined> {
    let offset = 0;
    for (let slot = 0; ; slot++) {
      const length = await this.filled(slot);
      offset += length;
      const last = await this.isFinal(slot, length, offset);
      const chunk = this.sealSlot(slot, length, last);
      Atomics.store(this.state, SEALED, slot + 1);
      this.signal();
      if (last) {
        settle(await this.whileReferenced(() => Promise.race([this.result, this.failed])));
        yield chunk;
        return;
      }
      yield chunk;
    }
  }

  /** The length of input slot `slot` once it is filled (0: the source ended before it). */
  private async filled(slot: number): Promise<number> {
    if (this.reader) return this.reader.filled(slot);
    const file = this.file!;
    if (slot * SLOT_SIZE >= file.size) return 0;
    let filled = Atomics.load(this.state, FILLED);
    if (filled <= slot) {
      await this.whileReferenced(async () => {
        while (filled <= slot) {
          Atomics.store(this.state, MAIN_WAITING, 1);
          const wait = waitAsync(this.state, FILLED, filled);
          if (wait.async) await Promise.race([wait.value, this.failed]);
          filled = Atomics.load(this.state, FILLED);
        }
      });
    }
    return this.lengths[slot % SLOTS];
  }

  /** Whether slot `slot`, of `length` bytes up to plaintext offset `end`, is the last one. */
  private async isFinal(slot: number, length: number, end: number): Promise<boolean> {
    if (this.file) return end === this.file.size;
    // A full slot is the last only if nothing follows it: the flag is part of the last nonce.
    return length < SLOT_SIZE || (await this.reader!.filled(slot + 1)) === 0;
  }

  /** Seals the frames of one input slot into an output chunk. */
  private sealSlot(slot: number, length: number, lastSlot: boolean): Buffer {
    const out = this.spare.pop() ?? Buffer.allocUnsafeSlow(OUTPUT_CHUNK_SIZE);
    this.issued.add(out.buffer);
    const base = (slot % SLOTS) * SLOT_SIZE;
    let used = 0;
    let offset = 0;
    do {
      const size = Math.min(CHUNK_SIZE, length - offset);
      const last = lastSlot && offset + size === length;
      if (this.counter === MAX_FRAMES) throw new RangeError('plaintext is too large for one blob');
      setNonceCounter(this.nonce, this.counter++, last);
      used = this.sealFrame(this.nonce, this.bytes.subarray(base + offset, base + offset + size), out, used);
      offset += size;
    } while (offset < length);
    return out.subarray(0, used);
  }

  /**
   * Takes back an output chunk the consumer is done with: later chunks reuse its memory, which
   * stays hot in cache. Never call it for a chunk that something still reads.
   */
  recycle(chunk: Uint8Array): void {
    const buffer = chunk.buffer;
    if (this.stopped || !this.issued.has(buffer) || this.spare.length >= SLOTS) return;
    this.issued.delete(buffer);
    this.spare.push(Buffer.from(buffer, 0, OUTPUT_CHUNK_SIZE));
  }

  /** Stops the worker; resolves once it no longer touches the input (or a file it reads). */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.stop();
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }

  /** Fills slot `slot` with the length read into it (main-thread reading only). */
  publish(slot: number, length: number): void {
    this.lengths[slot % SLOTS] = length;
    Atomics.store(this.state, FILLED, slot + 1);
    this.signal();
  }

  /** Tells the worker that no slot follows the ones filled. */
  close(): void {
    Atomics.store(this.state, CLOSED, 1);
    this.signal();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The memory of slot `slot`, once the worker has hashed what it held before. */
  async freeSlot(slot: number): Promise<Uint8Array> {
    let hashed = Atomics.load(this.state, HASHED);
    if (slot - hashed >= SLOTS) {
      await this.whileReferenced(async () => {
        while (slot - hashed >= SLOTS && !this.stopped) {
          Atomics.store(this.state, MAIN_WAITING, 1);
          const wait = waitAsync(this.state, HASHED, hashed);
          if (wait.async) await Promise.race([wait.value, this.failed]);
          hashed = Atomics.load(this.state, HASHED);
        }
      });
    }
    const base = (slot % SLOTS) * SLOT_SIZE;
    return this.bytes.subarray(base, base + SLOT_SIZE);
  }

  private signal(): void {
    Atomics.add(this.state, SIGNAL, 1);
    if (Atomics.load(this.state, SLEEPING) === 1) Atomics.notify(this.state, SIGNAL);
  }

  /**
   * The worker is unreferenced except while we wait for it (an abandoned stream must not keep the
   * process alive); two waits can overlap (reading and sealing), hence the count.
   */
  private async whileReferenced<T>(wait: () => Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.worker.ref();
    try {
      return await wait();
    } finally {
      if (--this.waiting === 0) {
        this.worker.unref();
        Atomics.store(this.state, MAIN_WAITING, 0);
      }
    }
  }
}

/**
 * Reads a source into the input ring on the main thread, one slot ahead of the sealing: slot
 * `n + 1` is read while slot `n` is sealed.
 */
class SlotReader {
  private readonly reads: Promise<number>[] = [];
  private ended = false;

  constructor(
    private readonly src: BlockSource & { close?(): Promise<void> },
    private readonly pipe: EncryptPipe,
  ) {}

  /** The length of slot `slot` (0 once the source has ended); starts reading the one after it. */
  filled(slot: number): Promise<number> {
    for (let next = this.reads.length; next <= slot + 1; next++) {
      const read = this.startRead(next);
      // A read ahead may fail after the blob has already failed or ended.
      read.catch(() => undefined);
      this.reads.push(read);
    }
    return this.reads[slot];
  }

  private async startRead(slot: number): Promise<number> {
    const previous = this.reads[slot - 1];
    // Slots are read in order, and none after the end.
    if (previous && (await previous) < SLOT_SIZE) return 0;
    if (this.ended) return 0;
    const target = await this.pipe.freeSlot(slot);
    let length = 0;
    try {
      while (length < SLOT_SIZE && !this.pipe.isStopped) {
        const read = await this.src.readInto(target.subarray(length));
        if (read === 0) break;
        length += read;
      }
    } catch (error) {
      this.stop();
      throw error;
    }
    if (this.pipe.isStopped) return 0;
    if (length > 0) this.pipe.publish(slot, length);
    if (length < SLOT_SIZE) {
      this.ended = true;
      this.pipe.close();
      await this.src.close?.();
    }
    return length;
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    void this.src.close?.().catch(() => undefined);
  }
}

/**
 * An async iterable read as a `BlockSource`: each chunk is copied out in full before the next is
 * asked for, so the source may reuse a chunk's memory once it is asked for the next one.
 */
class ChunkReader implements BlockSource {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(src: AsyncIterable<Uint8Array>) {
    this.iterator = src[Symbol.asyncIterator]();
  }

  async readInto(target: Uint8Array): Promise<number> {
    while (this.pending.length === 0) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return 0;
      }
      this.pending = next.value;
    }
    const size = Math.min(this.pending.length, target.length);
    target.set(this.pending.subarray(0, size));
    this.pending = this.pending.subarray(size);
    return size;
  }

  /** Closes the source when it was not read to its end. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }
}
