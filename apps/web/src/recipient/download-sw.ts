/**
 * The recipient page's streaming download where the browser has no File System Access API
 * (Firefox, Safari): the page registers a download here (a MessageChannel port, the file name and
 * size), then navigates to `/download-stream/<id>/<name>`. This worker answers that navigation with
 * a stream, `Content-Disposition: attachment`, which the browser saves as a download while the page
 * keeps decrypting and posting verified plaintext into the port. Nothing is stored here. When the
 * page's checks fail, the stream is errored: the browser marks the download failed (it does not
 * delete the partial file; the page says so). The scheme of timvisee/send's and StreamSaver's.
 *
 * Served by the API at /download-sw.js (scope /download-stream/) with the pages' CSP. No imports:
 * a classic worker script, whatever the browser's module worker support.
 */

/** The page ↔ worker messages (a copy of sinks.ts's side; the two files must agree). */
type PageMessage = { type: 'chunk'; chunk: Uint8Array } | { type: 'close' } | { type: 'error' };
interface Registration {
  type: 'register';
  id: string;
  name: string;
  size?: number;
}

interface FetchEventLike extends Event {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface ExtendableMessageEventLike extends ExtendableEventLike {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface ServiceWorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEventLike) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly registration: { readonly scope: string };
}

const sw = self as unknown as ServiceWorkerScope;
/** Chunks the stream holds before the page is asked to wait (the page's batches are 4 MiB). */
const QUEUED_CHUNKS = 2;
/** A registered download that is never fetched is forgotten after this. */
const UNCLAIMED_MS = 60_000;

const registered = new Map<string, { port: MessagePort; name: string; size?: number }>();

sw.addEventListener('install', (event) => event.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

sw.addEventListener('message', (event) => {
  const data = event.data as Registration | { type: 'keepalive' } | undefined;
  // 'keepalive': the message event itself keeps this worker alive during a long download.
  if (data?.type !== 'register' || !event.ports[0] || !/^[0-9a-f]{32}$/.test(data.id)) return;
  const port = event.ports[0];
  registered.set(data.id, { port, name: String(data.name), size: typeof data.size === 'number' ? data.size : undefined });
  setTimeout(() => registered.delete(data.id), UNCLAIMED_MS);
  port.postMessage({ type: 'registered' });
});

sw.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const base = new URL(sw.registration.scope).pathname;
  if (!url.pathname.startsWith(base) || event.request.method !== 'GET') return;
  const id = url.pathname.slice(base.length).split('/')[0];
  const download = registered.get(id);
  registered.delete(id);
  if (!download) {
    event.respondWith(new Response('This download is over or was never started. Go back to the link and download again.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }));
    return;
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(download.name),
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (download.size !== undefined) headers['Content-Length'] = String(download.size);
  event.respondWith(new Response(streamFrom(download.port), { headers }));
});

/** Plaintext from the page, with backpressure: the page sends a chunk for each 'pull' it got. */
function streamFrom(port: MessagePort): ReadableStream<Uint8Array> {
  let owed = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        port.onmessage = ({ data }: MessageEvent<PageMessage>) => {
          if (data.type === 'chunk') {
            controller.enqueue(data.chunk);
            if ((controller.desiredSize ?? 0) > 0) port.postMessage({ type: 'pull' });
            else owed = true;
          } else if (data.type === 'close') {
            controller.close();
            port.close();
          } else {
            // The page's checks failed: an errored body makes the browser mark the download failed.
            controller.error(new Error('the file did not verify'));
            port.close();
          }
        };
        port.postMessage({ type: 'pull' }); // the navigation arrived: the page may send
      },
      pull() {
        if (!owed) return;
        owed = false;
        port.postMessage({ type: 'pull' });
      },
      cancel() {
        // The person cancelled the download in the browser.
        port.postMessage({ type: 'cancelled' });
        port.close();
      },
    },
    { highWaterMark: QUEUED_CHUNKS },
  );
}

/** attachment; an ASCII fallback name and the exact name in RFC 5987 encoding. */
function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\/%;]/g, '_').slice(0, 200) || 'download';
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
