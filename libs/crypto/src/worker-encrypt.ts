import { Worker } from 'node:worker_threads';
import { NATIVE_GCM_PATH, nativeGcm } from './native-gcm';
import { waitAsync } from './wait-async';
import { CHUNK_SIZE, MAX_FRAME_SIZE, MAX_FRAMES, NONCE_SIZE, TAG_SIZE } from './blob-format';

/** Input ring: slots of 16 chunks, filled by the main thread, hashed and encrypted by the worker. */
const IN_SLOTS = 4;
const IN_SLOT_SIZE = 16 * CHUNK_SIZE;
/** Output ring: slots of up to 16 frames (≈1 MiB), filled by the worker, copied out or lent by the main thread. */
const OUT_FRAMES = 16;
const OUT_SLOTS = 4;
const OUT_SLOT_SIZE = OUT_FRAMES * MAX_FRAME_SIZE;

// Control words in shared memory. The main thread publishes input slots (PUBLISHED, CLOSED at the
// end) and counts the output slots it is done with (TAKEN: copied out, or lent and given back by the
// consumer); the worker counts the input slots it has hashed and encrypted (CONSUMED: free again)
// and the output slots it has filled (PRODUCED). Whatever the worker may wait for also bumps
// SIGNAL, the word it sleeps on; SLEEPING tells the main thread whether a wake-up is needed at all.
const SIGNAL = 0;
const PUBLISHED = 1;
const CONSUMED = 2;
const CLOSED = 3;
const SLEEPING = 4;
const TAKEN = 5;
const PRODUCED = 6;
/** Set by the main thread while it waits: the worker notifies only then (a notify is not free). */
const MAIN_WAITING = 7;
const CONTROL_WORDS = 8;

/**
 * Plain JavaScript evaluated in the worker (so the same code runs from the compiled library and
 * from the TypeScript sources under jest). It hashes each input slot and seals every frame of the
 * blob into the output ring. One worker, not one for each: with the native AES-GCM it keeps up
 * with what the main thread and the network take, and the ~6 MiB a second worker costs is what
 * lets the vault unlock's 64 MiB run beside an upload within the memory budget.
 * (Transferring fresh output buffers with postMessage instead cost the worker more than the main
 * thread's copy out of the ring.)
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createHash, createSecretKey } = require('node:crypto');
const { input, lengths, output, outLengths, control, key, prefix, nativeGcmPath } = workerData;
const state = new Int32Array(control);
const sizes = new Int32Array(lengths);
const bytes = new Uint8Array(input);
const aesKey = createSecretKey(Buffer.from(key));
const native = nativeGcmPath ? require(nativeGcmPath) : undefined;
const hash = createHash('sha256');
const nonce = Buffer.alloc(${NONCE_SIZE});
nonce.set(new Uint8Array(prefix), 0);
const outBytes = Buffer.from(output);
const outSizes = new Int32Array(outLengths);

function waitUntil(ready) {
  for (;;) {
    const signal = Atomics.load(state, ${SIGNAL});
    if (ready()) return;
    Atomics.store(state, ${SLEEPING}, 1);
    Atomics.wait(state, ${SIGNAL}, signal);
    Atomics.store(state, ${SLEEPING}, 0);
  }
}

let produced = 0;
let out;
let outLength = 0;
let counter = 0;
let plaintextSize = 0;

function nextOutSlot() {
  waitUntil(() => produced - Atomics.load(state, ${TAKEN}) < ${OUT_SLOTS});
  const base = (produced % ${OUT_SLOTS}) * ${OUT_SLOT_SIZE};
  out = outBytes.subarray(base, base + ${OUT_SLOT_SIZE});
  outLength = 0;
}

function post(last) {
  // The last slot's length is stored as -1 - length.
  outSizes[produced % ${OUT_SLOTS}] = last ? -1 - outLength : outLength;
  // The result travels by message, sent before the last slot is published.
  if (last) parentPort.postMessage({ plaintextSize, sha256: hash.digest('hex') });
  Atomics.store(state, ${PRODUCED}, ++produced);
  if (Atomics.load(state, ${MAIN_WAITING}) === 1) Atomics.notify(state, ${PRODUCED});
  if (!last) nextOutSlot();
}

nextOutSlot();
function seal(chunk, last) {
  if (counter === ${MAX_FRAMES}) throw new RangeError('plaintext is too large for one blob');
  nonce.writeUInt32BE(counter++, 7);
  nonce[11] = last ? 1 : 0;
  out.set(nonce, outLength);
  const body = outLength + ${NONCE_SIZE + 4};
  let bodyLength;
  if (native) {
    // Straight into the output ring.
    bodyLength = native.seal(key, nonce, chunk, out.subarray(body, body + chunk.length + ${TAG_SIZE}));
  } else {
    const cipher = createCipheriv('aes-256-gcm', aesKey, nonce);
    const ciphertext = cipher.update(chunk);
    cipher.final();
    out.set(ciphertext, body);
    out.set(cipher.getAuthTag(), body + ciphertext.length);
    bodyLength = ciphertext.length + ${TAG_SIZE};
  }
  out.writeUInt32BE(bodyLength, outLength + ${NONCE_SIZE});
  outLength = body + bodyLength;
  plaintextSize += chunk.length;
  if (last) post(true);
  else if (outLength + ${MAX_FRAME_SIZE} > ${OUT_SLOT_SIZE}) post(false);
}

for (let slot = 0; ; slot++) {
  waitUntil(() => Atomics.load(state, ${PUBLISHED}) > slot || Atomics.load(state, ${CLOSED}) === 1);
  if (Atomics.load(state, ${PUBLISHED}) <= slot) {
    // Closed with nothing left: only an empty plaintext gets here before its final frame.
    if (counter === 0) seal(new Uint8Array(0), true);
    break;
  }
  const base = (slot % ${IN_SLOTS}) * ${IN_SLOT_SIZE};
  const length = sizes[slot % ${IN_SLOTS}];
  hash.update(bytes.subarray(base, base + length));
  let done = false;
  for (let offset = 0; offset < length; offset += ${CHUNK_SIZE}) {
    const size = Math.min(${CHUNK_SIZE}, length - offset);
    let last = size < ${CHUNK_SIZE};
    if (!last && offset + size === length) {
      // The flag is part of the nonce: a full chunk at the end of a slot waits to know whether more follows.
      waitUntil(() => Atomics.load(state, ${PUBLISHED}) > slot + 1 || Atomics.load(state, ${CLOSED}) === 1);
      last = Atomics.load(state, ${PUBLISHED}) === slot + 1;
    }
    seal(bytes.subarray(base + offset, base + offset + size), last);
    if (last) done = true;
  }
  Atomics.store(state, ${CONSUMED}, slot + 1);
  if (Atomics.load(state, ${MAIN_WAITING}) === 1) Atomics.notify(state, ${CONSUMED});
  if (done) break;
}
`;

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

export function isBlockSource(src: AsyncIterable<Uint8Array> | BlockSource): src is BlockSource {
  return typeof (src as BlockSource).readInto === 'function';
}

/**
 * AES-GCM and SHA-256 of a whole blob on a worker thread. The main thread only moves the
 * source into a shared ring (one memcpy, none for a `BlockSource`) and hands on the output chunks
 * (copies, or lent views of the ring), so a consumer that does I/O on the main thread (an HTTP
 * upload) loses little to the crypto. Same bytes as the inline path.
 */
export async function* sealFramesOnWorker(
  src: AsyncIterable<Uint8Array> | BlockSource,
  key: Uint8Array,
  noncePrefix: Buffer,
  lendOutput: boolean,
  settle: (result: SealedOnWorker) => void,
  onStart: (pipe: EncryptPipe) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  // Started on the first read, so a stream that is never read starts no thread.
  const pipe = new EncryptPipe(key, noncePrefix, lendOutput);
  onStart(pipe);
  const feeding = pipe.feed(src);
  feeding.catch(() => undefined);
  try {
    for (;;) {
      const { chunk, last } = await pipe.nextOutput(feeding);
      if (last) {
        settle(await pipe.result);
        yield chunk;
        return;
      }
      yield chunk;
    }
  } finally {
    pipe.dispose();
  }
}

export class EncryptPipe {
  private readonly input = new SharedArrayBuffer(IN_SLOTS * IN_SLOT_SIZE);
  private readonly bytes = new Uint8Array(this.input);
  private readonly lengths = new Int32Array(new SharedArrayBuffer(IN_SLOTS * 4));
  private readonly output = new SharedArrayBuffer(OUT_SLOTS * OUT_SLOT_SIZE);
  private readonly outBytes = new Uint8Array(this.output);
  private readonly outLengths = new Int32Array(new SharedArrayBuffer(OUT_SLOTS * 4));
  private readonly state = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly worker: Worker;
  /** Hash and size of the plaintext, once the worker has sent its final message. */
  readonly result: Promise<SealedOnWorker>;
  /** Rejects when the worker fails or exits early, so no wait can hang on a dead worker. */
  private readonly failed: Promise<never>;
  private published = 0;
  /** Output slots handed to the consumer, and (lending) the ones it has given back. */
  private handedOut = 0;
  private taken = 0;
  private stopped = false;
  private waiting = 0;
  /** Output buffers handed out (reusable once given back) and the ones given back. */
  private readonly issued = new WeakSet<ArrayBufferLike>();
  private readonly spare: Buffer[] = [];

  /**
   * With `lendOutput`, output chunks are views of the shared output ring, each lent until the
   * consumer gives it back with `recycle` (in order); without, each is copied out of the ring.
   */
  constructor(
    key: Uint8Array,
    noncePrefix: Buffer,
    private readonly lendOutput = false,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        input: this.input,
        lengths: this.lengths.buffer,
        control: this.state.buffer,
        output: this.output,
        outLengths: this.outLengths.buffer,
        key: Uint8Array.from(key),
        prefix: Uint8Array.from(noncePrefix),
        nativeGcmPath: nativeGcm.binding ? NATIVE_GCM_PATH : undefined,
      },
    });
    const sealed = this.finalMessage<SealedOnWorker>(this.worker, 'the encryption worker exited');
    this.failed = sealed.failed;
    this.result = sealed.message;
  }

  /** A worker's one message, and a promise that rejects if it fails or exits without sending it. */
  private finalMessage<T>(worker: Worker, exitedEarly: string): { message: Promise<T>; failed: Promise<never> } {
    worker.unref();
    let finished = false;
    const message = new Promise<T>((resolve) =>
      worker.once('message', (value: T) => {
        finished = true;
        resolve(value);
      }),
    );
    const failed = new Promise<never>((_resolve, reject) => {
      worker.once('error', reject);
      // Messages posted before the worker ended are delivered before 'exit'.
      worker.once('exit', () => {
        if (!finished) reject(new Error(exitedEarly));
      });
    });
    failed.catch(() => undefined);
    return { message, failed };
  }

  /** Moves the source into the input ring; rejects with the source's error. */
  async feed(src: AsyncIterable<Uint8Array> | BlockSource): Promise<void> {
    if (isBlockSource(src)) return this.readInto(src);
    const chunks = new ChunkReader(src);
    try {
      await this.readInto(chunks);
    } finally {
      await chunks.close();
    }
  }

  /** Lets the source read straight into the input ring's slots. */
  private async readInto(src: BlockSource): Promise<void> {
    let filled = 0;
    for (;;) {
      if (filled === 0) await this.waitForFreeSlot();
      if (this.stopped) return;
      const base = (this.published % IN_SLOTS) * IN_SLOT_SIZE;
      const read = await src.readInto(this.bytes.subarray(base + filled, base + IN_SLOT_SIZE));
      if (this.stopped) return;
      if (read === 0) break;
      filled += read;
      if (filled === IN_SLOT_SIZE) {
        this.publish(filled);
        filled = 0;
      }
    }
    if (filled > 0) this.publish(filled);
    Atomics.store(this.state, CLOSED, 1);
    this.signal();
  }

  /** The next output chunk (copied out of the ring, or lent); rejects when the worker or the source failed. */
  async nextOutput(feeding: Promise<void>): Promise<{ chunk: Buffer; last: boolean }> {
    let produced = Atomics.load(this.state, PRODUCED);
    if (produced === this.handedOut) {
      const failedFeeding = feeding.then(() => new Promise<never>(() => undefined));
      await this.whileReferenced(async () => {
        while (produced === this.handedOut) {
          Atomics.store(this.state, MAIN_WAITING, 1);
          const wait = waitAsync(this.state, PRODUCED, produced);
          if (wait.async) await Promise.race([wait.value, this.failed, failedFeeding]);
          produced = Atomics.load(this.state, PRODUCED);
        }
      });
    }
    const slot = this.handedOut++ % OUT_SLOTS;
    const stored = this.outLengths[slot];
    const last = stored < 0;
    const length = last ? -1 - stored : stored;
    let chunk: Buffer;
    if (this.lendOutput) {
      chunk = Buffer.from(this.output, slot * OUT_SLOT_SIZE, length);
    } else {
      const buffer = this.spare.pop() ?? this.newOutputBuffer();
      this.issued.add(buffer.buffer);
      chunk = buffer.subarray(0, length);
      chunk.set(this.outBytes.subarray(slot * OUT_SLOT_SIZE, slot * OUT_SLOT_SIZE + length));
      this.giveBackSlot();
    }
    if (last) await this.whileReferenced(() => Promise.race([this.result, this.failed]));
    return { chunk, last };
  }

  private giveBackSlot(): void {
    Atomics.store(this.state, TAKEN, ++this.taken);
    this.signal();
  }

  /**
   * Takes back an output chunk the consumer is done with. A lent chunk frees its ring slot (lent
   * chunks must come back in the order they were handed out); a copied one is reused for later
   * chunks, its memory kept hot in cache.
   */
  recycle(chunk: Uint8Array): void {
    if (this.lendOutput) {
      if (!this.stopped && chunk.buffer === this.output && this.taken < this.handedOut) this.giveBackSlot();
      return;
    }
    const buffer = chunk.buffer;
    if (this.stopped || !this.issued.has(buffer) || this.spare.length >= OUT_SLOTS) return;
    this.issued.delete(buffer);
    this.spare.push(Buffer.from(buffer, 0, OUT_SLOT_SIZE));
  }

  private newOutputBuffer(): Buffer {
    const buffer = Buffer.allocUnsafeSlow(OUT_SLOT_SIZE);
    this.issued.add(buffer.buffer);
    return buffer;
  }

  dispose(): void {
    this.stopped = true;
    this.worker.removeAllListeners();
    void this.worker.terminate();
  }

  private publish(length: number): void {
    this.lengths[this.published % IN_SLOTS] = length;
    Atomics.store(this.state, PUBLISHED, ++this.published);
    this.signal();
  }

  private signal(): void {
    Atomics.add(this.state, SIGNAL, 1);
    if (Atomics.load(this.state, SLEEPING) === 1) Atomics.notify(this.state, SIGNAL);
  }

  /** Waits until the worker is done with the oldest input slot, if the ring is full. */
  private async waitForFreeSlot(): Promise<void> {
    if (this.published - Atomics.load(this.state, CONSUMED) < IN_SLOTS) return;
    await this.whileReferenced(async () => {
      for (;;) {
        const consumed = Atomics.load(this.state, CONSUMED);
        if (this.published - consumed < IN_SLOTS || this.stopped) return;
        Atomics.store(this.state, MAIN_WAITING, 1);
        const wait = waitAsync(this.state, CONSUMED, consumed);
        if (wait.async) await Promise.race([wait.value, this.failed]);
      }
    });
  }

  /**
   * The worker is unreferenced except while we wait for it (an abandoned stream must not keep the
   * process alive); two waits can overlap (feeding and output), hence the count.
   */
  private async whileReferenced<T>(wait: () => Promise<T>): Promise<T> {
    if (this.waiting++ === 0) {
      this.worker.ref();
    }
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
    if (!this.done) await this.iterator.return?.();
  }
}
