/**
 * The recipient page's SHA-256, off the page's thread: hash-wasm runs ~150–300 MB/s here, which
 * on the page's one thread was as much time as everything else of a download together. Messages:
 * `{ piece, length }` (plaintext, in order; the piece is sent back once hashed) or 'digest'
 * (answered with the lowercase hex).
 */
import { createSHA256 } from 'hash-wasm';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ piece: Uint8Array; length: number } | 'digest'>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const hasher = createSHA256().then((h) => {
  h.init();
  return h;
});
void hasher.then(
  () => scope.postMessage({ ready: true }),
  (error: Error) => scope.postMessage({ error: error.message }),
);

// Handlers run in message order: each awaits the same promise, and continuations run in the order they were queued.
scope.onmessage = ({ data }) => void handle(data);

async function handle(data: { piece: Uint8Array; length: number } | 'digest'): Promise<void> {
  const h = await hasher;
  if (data === 'digest') {
    scope.postMessage({ digest: h.digest('hex') });
  } else {
    h.update(data.piece.subarray(0, data.length));
    scope.postMessage({ piece: data.piece }, [data.piece.buffer]); // back to the page, to be refilled
  }
}
