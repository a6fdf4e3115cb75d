/** Where the plaintext goes, without holding a large file in memory where the browser allows it. */
export interface PlaintextSink {
  readonly kind: 'file-system' | 'memory' | 'stream';
  /** `chunk` is the caller's again once the promise resolved: a sink that keeps it copies it. */
  write(chunk: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Everything verified: the file becomes visible. */
  close(): Promise<void>;
  /** Something failed: nothing may remain. */
  abort(): Promise<void>;
}

interface WritableFile {
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

interface SaveHandle {
  createWritable(): Promise<WritableFile>;
  remove?: () => Promise<void>;
}

type SavePicker = (options: { suggestedName: string }) => Promise<SaveHandle>;

/** Above this, a browser with neither the File System Access API nor service workers is told to use Chromium or the CLI. */
export const MEMORY_SINK_LIMIT = 512 * 1024 * 1024;

export function canStreamToDisk(): boolean {
  return typeof (window as unknown as { showSaveFilePicker?: SavePicker }).showSaveFilePicker === 'function';
}

/** Must run in the click's user activation: asks where to save. `undefined` if the person cancelled. */
export async function pickFileSink(suggestedName: string): Promise<PlaintextSink | undefined> {
  const picker = (window as unknown as { showSaveFilePicker: SavePicker }).showSaveFilePicker;
  let handle: SaveHandle;
  try {
    handle = await picker({ suggestedName });
  } catch (error) {
    if ((error as DOMException).name === 'AbortError') return undefined;
    throw error;
  }
  // The browser writes into a swap file and replaces the target only on close(): an abort leaves
  // no partial plaintext; the empty file the picker created is removed too.
  const writable = await handle.createWritable();
  return {
    kind: 'file-system',
    write: (chunk) => writable.write(chunk),
    close: () => writable.close(),
    abort: async () => {
      await writable.abort().catch(() => undefined);
      await handle.remove?.().catch(() => undefined);
    },
  };
}

/** Small files in browsers without the File System Access API: a Blob saved by a download link once verified. */
export function memorySink(fileName: string, mediaType: string): PlaintextSink {
  let parts: Uint8Array<ArrayBuffer>[] = [];
  return {
    kind: 'memory',
    write: async (chunk) => {
      parts.push(chunk.slice());
    },
    close: async () => {
      const url = URL.createObjectURL(new Blob(parts, { type: mediaType || 'application/octet-stream' }));
      parts = [];
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.rel = 'noopener';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
    abort: async () => {
      parts = [];
    },
  };
}

/** Below this, a browser without the File System Access API gets a Blob: nothing of a bad file ever reaches the downloads. */
export const SMALL_FILE_LIMIT = 16 * 1024 * 1024;
/** The download-stream service worker (download-sw.ts) and the URL space it answers. */
const STREAM_WORKER = '/download-sw.js';
const STREAM_SCOPE = '/download-stream/';
const STREAM_START_MS = 15_000;
/** Service workers idle for ~30 s are stopped; a message event keeps one alive. */
const KEEPALIVE_MS = 10_000;

type WorkerMessage = { type: 'registered' } | { type: 'pull' } | { type: 'cancelled' };

/**
 * Large files in browsers without the File System Access API: a download the browser saves as it
 * streams, fed through the download-stream service worker. Undefined where service workers are
 * unavailable (e.g. private windows of some browsers). If the checks fail, the stream is errored:
 * the browser marks the download failed, but the partial file is the browser's to keep or remove.
 */
export async function streamSink(fileName: string, size: number | undefined): Promise<PlaintextSink | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  let worker: ServiceWorker;
  try {
    const registration = await navigator.serviceWorker.register(STREAM_WORKER, { scope: STREAM_SCOPE });
    worker = await activeWorker(registration);
  } catch {
    return undefined;
  }
  const id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const channel = new MessageChannel();
  const port = channel.port1;
  let credits = 0;
  let cancelled = false;
  let wake: (() => void) | undefined;
  const next = (type: WorkerMessage['type']) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('The browser did not start the download.')), STREAM_START_MS);
      port.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
        if (data.type !== type) return;
        clearTimeout(timer);
        resolve();
      };
    });
  const registered = next('registered');
  worker.postMessage({ type: 'register', id, name: fileName, size }, [channel.port2]);
  await registered;
  const started = next('pull');
  // A navigation the worker answers as an attachment: the browser starts a download and this page stays.
  const a = document.createElement('a');
  a.href = `${STREAM_SCOPE}${id}/${encodeURIComponent(fileName)}`;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  await started;
  credits = 1;
  port.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
    if (data.type === 'pull') credits++;
    else if (data.type === 'cancelled') cancelled = true;
    wake?.();
    wake = undefined;
  };
  const keepalive = setInterval(() => worker.postMessage({ type: 'keepalive' }), KEEPALIVE_MS);
  const end = (message: { type: 'close' } | { type: 'error' }) => {
    clearInterval(keepalive);
    port.postMessage(message);
    port.close();
  };
  return {
    kind: 'stream',
    write: async (chunk) => {
      while (credits === 0 && !cancelled) await new Promise<void>((resolve) => (wake = resolve));
      if (cancelled) throw new DOMException('The download was cancelled.', 'AbortError');
      credits--;
      // Copied by the structured clone: the chunk is the caller's again at once.
      port.postMessage({ type: 'chunk', chunk });
    },
    close: async () => end({ type: 'close' }),
    abort: async () => end({ type: 'error' }),
  };
}

async function activeWorker(registration: ServiceWorkerRegistration): Promise<ServiceWorker> {
  if (registration.active) return registration.active;
  const worker = registration.installing ?? registration.waiting;
  if (!worker) throw new Error('no service worker');
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
      else if (worker.state === 'redundant') reject(new Error('the service worker failed to install'));
    });
  });
  return worker;
}
