/** Where the plaintext goes, without holding a large file in memory where the browser allows it. */
export interface PlaintextSink {
  readonly kind: 'file-system' | 'memory';
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

/** Above this, a browser without the File System Access API is told to use Chromium or the CLI. */
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
