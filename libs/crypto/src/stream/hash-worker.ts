/**
 * Worker thread of the hash ring (ring-layout.ts): hashes every slot in order with SHA-256; given
 * a file, it first reads each slot itself, so the bytes are hashed from this core's cache.
 * Started by hash-ring.ts from the compiled file (dist/stream/hash-worker.js).
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { SLOT_SIZE, SLOTS, Word, type RingReport, type RingSetup } from './ring-layout';

function run({ control, lengths, slots, file }: RingSetup): RingReport {
  const state = new Int32Array(control);
  const sizes = new Int32Array(lengths);
  const bytes = new Uint8Array(slots);
  const hash = createHash('sha256');
  let plaintextSize = 0;

  const waitUntil = (ready: () => boolean): void => {
    for (;;) {
      const signal = Atomics.load(state, Word.SIGNAL);
      if (ready()) return;
      Atomics.store(state, Word.WORKER_SLEEPING, 1);
      Atomics.wait(state, Word.SIGNAL, signal);
      Atomics.store(state, Word.WORKER_SLEEPING, 0);
    }
  };
  const publish = (word: number, value: number): void => {
    Atomics.store(state, word, value);
    if (Atomics.load(state, Word.CALLER_WAITING) === 1) Atomics.notify(state, word);
  };

  for (let slot = 0; ; slot++) {
    const base = (slot % SLOTS) * SLOT_SIZE;
    if (file) {
      if (plaintextSize === file.size) break;
      waitUntil(() => slot - Atomics.load(state, Word.RELEASED) < SLOTS);
      const wanted = Math.min(SLOT_SIZE, file.size - plaintextSize);
      for (let got = 0; got < wanted; ) {
        const read = readSync(file.fd, bytes, base + got, wanted - got, (file.offset ?? 0) + plaintextSize + got);
        if (read === 0) return { shortBy: file.size - plaintextSize - got };
        got += read;
      }
      sizes[slot % SLOTS] = wanted;
      publish(Word.FILLED, slot + 1);
    } else {
      waitUntil(() => Atomics.load(state, Word.FILLED) > slot || Atomics.load(state, Word.CLOSED) === 1);
      if (Atomics.load(state, Word.FILLED) <= slot) break;
    }
    const length = sizes[slot % SLOTS];
    hash.update(bytes.subarray(base, base + length));
    plaintextSize += length;
    publish(Word.HASHED, slot + 1);
  }
  return { sha256: hash.digest('hex'), plaintextSize };
}

// The work arrives by message, so the thread can be started before it is known.
parentPort?.once('message', (setup: RingSetup) => parentPort?.postMessage(run(setup)));
