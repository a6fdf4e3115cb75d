import type { Bytes } from '../crypto/bytes';
import { inlineSha256, type StreamingHash } from '../crypto/decrypt';

const START_TIMEOUT_MS = 10_000;

/**
 * SHA-256 in a worker (sha256-worker.ts) so the page's thread only decrypts and writes; the
 * page's own hash-wasm where a worker cannot start (none, or refused).
 */
export async function startSha256(): Promise<StreamingHash> {
  if (typeof Worker === 'undefined') return inlineSha256();
  let worker: Worker | undefined;
  try {
    worker = new Worker(new URL('./sha256-worker.ts', import.meta.url), { type: 'module', name: 'sha256' });
    await started(worker);
    return workerHash(worker);
  } catch {
    worker?.terminate();
    return inlineSha256();
  }
}

function started(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the hash worker did not start')), START_TIMEOUT_MS);
    worker.onerror = () => reject(new Error('the hash worker failed'));
    worker.onmessage = ({ data }: MessageEvent<{ ready?: true; error?: string }>) => {
      clearTimeout(timer);
      if (data.ready) resolve();
      else reject(new Error(data.error ?? 'the hash worker failed'));
    };
  });
}

/** Plaintext goes to the worker in pieces of this, copied into a piece the worker hands back once hashed. */
const PIECE_BYTES = 1024 * 1024;
/** Pieces out at once: past this, `update` waits for one to come back (the worker is behind). */
const MAX_PIECES = 16;

/**
 * postMessage of each 64 KiB frame cost more than hashing it (a clone per message), and a fresh
 * piece per message costs a page fault per 4 KiB on first touch: so a few pieces circulate,
 * transferred both ways, and the page's only cost is one copy into reused memory.
 */
function workerHash(worker: Worker): StreamingHash {
  const free: Bytes[] = [];
  let pieces = 0;
  let piece: Bytes | undefined;
  let filled = 0;
  let failure: Error | undefined;
  let returned: (() => void) | undefined;
  let digested: ((digest: string) => void) | undefined;
  worker.onerror = () => {
    failure = new Error('the hash worker failed');
    returned?.();
  };
  worker.onmessage = ({ data }: MessageEvent<{ piece?: Bytes; digest?: string }>) => {
    if (data.piece) {
      free.push(new Uint8Array(data.piece.buffer));
      returned?.();
      returned = undefined;
    } else if (typeof data.digest === 'string') {
      digested?.(data.digest);
    }
  };
  const send = () => {
    if (!piece || filled === 0) return;
    worker.postMessage({ piece, length: filled }, [piece.buffer]);
    piece = undefined;
    filled = 0;
  };
  const nextPiece = async (): Promise<Bytes> => {
    if (free.length === 0 && pieces < MAX_PIECES) {
      pieces++;
      return new Uint8Array(PIECE_BYTES);
    }
    while (free.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (returned = resolve));
    }
    return free.pop()!;
  };
  return {
    async update(bytes: Bytes) {
      for (let offset = 0; offset < bytes.length; ) {
        piece ??= await nextPiece();
        const n = Math.min(bytes.length - offset, PIECE_BYTES - filled);
        piece.set(bytes.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === PIECE_BYTES) send();
      }
    },
    digest() {
      send();
      return new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        worker.onerror = () => reject(new Error('the hash worker failed'));
        digested = (digest) => {
          worker.terminate();
          resolve(digest);
        };
        worker.postMessage('digest');
      });
    },
    dispose: () => worker.terminate(),
  };
}
