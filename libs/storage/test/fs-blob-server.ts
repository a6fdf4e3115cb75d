import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobHandler, FsObjectStore, type FsObjectStoreOptions, type UploadPermissionCheck } from '../src';

type StoreOverrides = Partial<Pick<FsObjectStoreOptions, 'root' | 'clock' | 'maxObjectBytes'>>;

export interface FsBlobServer {
  root: string;
  baseUrl: string;
  store: FsObjectStore;
  /** Another store on the same directory and secret, e.g. with a different clock. */
  storeWith(options: StoreOverrides): FsObjectStore;
  /** Unexpected errors the handler reported (it answered 500 for them). */
  errors: unknown[];
  stop(): Promise<void>;
}

/** An FsObjectStore in a temporary directory, its URLs served by a bare http.Server on loopback. */
export async function startFsBlobServer(handlerOptions: { mayUpload?: UploadPermissionCheck } = {}): Promise<FsBlobServer> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-fs-store-'));
  const secret = randomBytes(32);
  const errors: unknown[] = [];
  // eslint-disable-next-line prefer-const -- assigned below, after the server it closes over exists
  let handler: ReturnType<typeof createFsBlobHandler> | undefined;
  const server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const storeWith = (overrides: StoreOverrides) =>
    new FsObjectStore({ root, publicBaseUrl: baseUrl, secret, ...overrides });
  const store = storeWith({});
  handler = createFsBlobHandler(store, { ...handlerOptions, onError: (err) => errors.push(err) });
  return {
    root,
    baseUrl,
    store,
    storeWith,
    errors,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
