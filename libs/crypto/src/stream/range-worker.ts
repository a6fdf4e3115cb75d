/**
 * Worker thread of a `RangeDecryptor` (range-decryptor.ts): decrypts and verifies each range of a
 * ranged download into a shared plaintext slot and writes it at its place in the file, so the
 * calling thread only moves bytes off the sockets and hashes the plaintext. Requests are taken one
 * at a time, in the order they arrive; the write of a range runs (on libuv's thread pool) while the
 * next one is decrypted. Started from the compiled file (dist/stream/range-worker.js).
 */
import { readSync, write } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CHUNK_SIZE, TAG_SIZE } from '../format/blob';
import { DecryptionError } from '../format/decryption-error';
import { toAesKey } from '../format/keys';
import { FRAME_SIZE, frameCountOf, openFrameRange, plaintextSizeOf, rangeProof, resealProof } from './decrypt-range';
import type { RangeReply, RangeRequest, RangeSetup } from './range-protocol';

function serve(setup: RangeSetup, port: NonNullable<typeof parentPort>): void {
  const key = Buffer.from(setup.key);
  const prefix = Buffer.from(setup.prefix);
  const aesKey = toAesKey(key);
  const totalFrames = frameCountOf(setup.blobSize);
  const plaintextSize = plaintextSizeOf(setup.blobSize);
  const slotSize = setup.rangeFrames * FRAME_SIZE;
  const plainSize = setup.rangeFrames * CHUNK_SIZE;
  const slots = Buffer.from(setup.slots);
  const plain = Buffer.from(setup.plain);
  const plainSlots = Math.floor(plain.length / plainSize);
  const scratch = Buffer.allocUnsafeSlow(CHUNK_SIZE + TAG_SIZE);
  // Plaintext slots not lent to the caller.
  const free = Array.from({ length: plainSlots }, (_, n) => n);
  let freed: (() => void) | undefined;

  const plainStart = (index: number) => index * setup.rangeFrames * CHUNK_SIZE;
  const plainLength = (index: number) => Math.min(plaintextSize, plainStart(index + 1)) - plainStart(index);
  const rangeOf = (index: number) => ({ prefix, firstFrame: index * setup.rangeFrames, totalFrames });
  const plainSlot = (n: number) => plain.subarray(n * plainSize, (n + 1) * plainSize);

  const takeSlot = async (): Promise<number> => {
    while (free.length === 0) await new Promise<void>((resolve) => (freed = resolve));
    return free.pop()!;
  };
  const giveBack = (n: number): void => {
    if (n < 0 || n >= plainSlots || free.includes(n)) return;
    free.push(n);
    freed?.();
    freed = undefined;
  };

  const writeRange = async (bytes: Buffer, position: number): Promise<void> => {
    for (let offset = 0; offset < bytes.length; ) {
      offset += await new Promise<number>((resolve, reject) =>
        write(setup.fd, bytes, offset, bytes.length - offset, position + offset, (error, written) => (error ? reject(error) : resolve(written))),
      );
    }
  };

  const reply = (message: RangeReply): void => port.postMessage(message);

  /** Takes one request; resolves once the next may be taken. An `open` answers later, once its plaintext is written. */
  const take = async (request: Exclude<RangeRequest, { op: 'free' }>): Promise<void> => {
    // A turn of the event loop first: finished writes are answered (and their slots come back)
    // before the next range is decrypted, not once every queued range is.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const n = await takeSlot();
    const out = plainSlot(n);
    try {
      if (request.op === 'open') {
        if (request.slot < 0 || (request.slot + 1) * slotSize > slots.length || request.length > slotSize) throw new Error('internal: no such slot');
        const ciphertext = slots.subarray(request.slot * slotSize, request.slot * slotSize + request.length);
        const length = openFrameRange(key, rangeOf(request.index), ciphertext, out);
        if (length !== plainLength(request.index)) throw new DecryptionError();
        const proof = rangeProof(ciphertext);
        // Only a range that verified whole reaches the disk.
        void writeRange(out.subarray(0, length), plainStart(request.index)).then(
          () => reply({ id: request.id, proof, plainSlot: n, length }),
          (error: unknown) => {
            giveBack(n);
            reply(failure(request.id, error));
          },
        );
        return;
      }
      const length = plainLength(request.index);
      let got = 0;
      while (got < length) {
        const read = readSync(setup.fd, out, got, length - got, plainStart(request.index) + got);
        if (read === 0) break;
        got += read;
      }
      let ok = got === length;
      try {
        ok &&= resealProof(key, rangeOf(request.index), out.subarray(0, length), scratch, aesKey) === request.proof;
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        ok = false;
      }
      reply({ id: request.id, ok, plainSlot: n, length });
    } catch (error) {
      giveBack(n);
      throw error;
    }
  };

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: RangeRequest) => {
    // Given back at once: a request in the queue may be waiting for it.
    if (request.op === 'free') return giveBack(request.plainSlot);
    queue = queue.then(() => take(request)).catch((error: unknown) => reply(failure(request.id, error)));
  });
}

function failure(id: number, error: unknown): RangeReply {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof DecryptionError) return { id, error: 'decryption' };
  if (typeof code === 'string' && !code.startsWith('ERR_')) return { id, error: 'io', code, message: (error as Error).message };
  return { id, error: 'internal', message: (error as Error).message };
}

// The setup arrives by message, so the thread can be started before the download is planned.
parentPort?.once('message', (setup: RangeSetup) => serve(setup, parentPort!));
