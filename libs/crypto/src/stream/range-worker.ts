/**
 * Worker thread of a `RangeDecryptor` (range-decryptor.ts): decrypts and verifies each range of a
 * ranged download, writes its plaintext at its place in the file, and keeps the SHA-256 of the
 * whole plaintext in file order, so the calling thread only moves bytes off the sockets. Requests
 * are taken one at a time, in the order they arrive; the write of a range runs (on libuv's thread
 * pool) while the next one is decrypted. Started from the compiled file
 * (dist/stream/range-worker.js).
 */
import { createHash } from 'node:crypto';
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
  const count = Math.ceil(totalFrames / setup.rangeFrames);
  const slotSize = setup.rangeFrames * FRAME_SIZE;
  const slots = Buffer.from(setup.slots);
  // Ranges of plaintext, decrypted into and hashed from while being written; one more to read ranges back.
  const free: Buffer[] = Array.from({ length: WRITE_BUFFERS }, () => Buffer.allocUnsafeSlow(setup.rangeFrames * CHUNK_SIZE));
  let freed: (() => void) | undefined;
  const back = Buffer.allocUnsafeSlow(setup.rangeFrames * CHUNK_SIZE);
  const scratch = Buffer.allocUnsafeSlow(CHUNK_SIZE + TAG_SIZE);
  const hash = createHash('sha256');
  const waiting = new Set<number>();
  let next = 0;

  const plainStart = (index: number) => index * setup.rangeFrames * CHUNK_SIZE;
  const plainLength = (index: number) => Math.min(plaintextSize, plainStart(index + 1)) - plainStart(index);
  const rangeOf = (index: number) => ({ prefix, firstFrame: index * setup.rangeFrames, totalFrames });

  const readRange = (index: number): Buffer => {
    const length = plainLength(index);
    let got = 0;
    while (got < length) {
      const read = readSync(setup.fd, back, got, length - got, plainStart(index) + got);
      if (read === 0) break;
      got += read;
    }
    return back.subarray(0, got);
  };

  const writeRange = async (bytes: Buffer, position: number): Promise<void> => {
    for (let offset = 0; offset < bytes.length; ) {
      offset += await new Promise<number>((resolve, reject) =>
        write(setup.fd, bytes, offset, bytes.length - offset, position + offset, (error, written) => (error ? reject(error) : resolve(written))),
      );
    }
  };

  const takeBuffer = async (): Promise<Buffer> => {
    while (free.length === 0) await new Promise<void>((resolve) => (freed = resolve));
    return free.pop()!;
  };

  const giveBack = (buffer: Buffer): void => {
    free.push(buffer);
    freed?.();
    freed = undefined;
  };

  /**
   * Range `index` is verified: hashed now if it is next in file order (`bytes`, in memory), else
   * once it is on disk (`onDisk`) and the ones before it are hashed, read back from the file (the
   * page cache).
   */
  const hashInOrder = (index: number, bytes: Buffer): boolean => {
    if (index !== next) return false;
    hash.update(bytes);
    next++;
    drain();
    return true;
  };
  const onDisk = (index: number): void => {
    waiting.add(index);
    drain();
  };
  const drain = (): void => {
    while (waiting.delete(next)) {
      const back = readRange(next);
      if (back.length !== plainLength(next)) throw Object.assign(new Error('the partial file is shorter than what was written to it'), { code: 'ESHORT' });
      hash.update(back);
      next++;
    }
  };

  const writesInFlight = new Set<Promise<void>>();

  /**
   * Takes one request; resolves once the next may be taken. An `open` answers later, when its
   * plaintext is written.
   */
  const take = async (request: RangeRequest): Promise<void> => {
    switch (request.op) {
      case 'open': {
        if (request.slot < 0 || (request.slot + 1) * slotSize > slots.length || request.length > slotSize) throw new Error('internal: no such slot');
        const ciphertext = slots.subarray(request.slot * slotSize, request.slot * slotSize + request.length);
        const plain = await takeBuffer();
        let length: number;
        try {
          length = openFrameRange(key, rangeOf(request.index), ciphertext, plain);
          if (length !== plainLength(request.index)) throw new DecryptionError();
        } catch (error) {
          giveBack(plain);
          throw error;
        }
        const proof = rangeProof(ciphertext);
        const bytes = plain.subarray(0, length);
        const hashed = hashInOrder(request.index, bytes);
        // Only a range that verified whole reaches the disk.
        const writing = writeRange(bytes, plainStart(request.index))
          .then(() => {
            giveBack(plain);
            if (!hashed) onDisk(request.index);
            reply({ id: request.id, proof });
          })
          .catch((error: unknown) => {
            if (!free.includes(plain)) giveBack(plain);
            reply(failure(request.id, error));
          })
          .finally(() => writesInFlight.delete(writing));
        writesInFlight.add(writing);
        return;
      }
      case 'check': {
        if (request.index < next || waiting.has(request.index)) throw new Error('internal: range checked twice');
        const bytes = readRange(request.index);
        let ok = bytes.length === plainLength(request.index);
        try {
          ok &&= resealProof(key, rangeOf(request.index), bytes, scratch, aesKey) === request.proof;
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          ok = false;
        }
        // Checks come before any range is downloaded, so a range that is not next is on disk already.
        if (ok && !hashInOrder(request.index, bytes)) onDisk(request.index);
        reply({ id: request.id, ok });
        return;
      }
      case 'digest':
        await Promise.all(writesInFlight);
        if (next !== count) throw new Error(`internal: ${count - next} ranges were not hashed`);
        reply({ id: request.id, sha256: hash.digest('hex') });
        return;
    }
  };

  const reply = (message: RangeReply): void => port.postMessage(message);
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: RangeRequest) => {
    queue = queue.then(() => take(request)).catch((error: unknown) => reply(failure(request.id, error)));
  });
}

const WRITE_BUFFERS = 3;

function failure(id: number, error: unknown): RangeReply {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof DecryptionError) return { id, error: 'decryption' };
  if (typeof code === 'string' && !code.startsWith('ERR_')) return { id, error: 'io', code, message: (error as Error).message };
  return { id, error: 'internal', message: (error as Error).message };
}

// The setup arrives by message, so the thread can be started before the download is planned.
parentPort?.once('message', (setup: RangeSetup) => serve(setup, parentPort!));
