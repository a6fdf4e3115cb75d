import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/api/dist/main.js');

/** The test names a replica with this request header to pin a request to it; the proxy strips it. */
export const PIN_HEADER = 'x-test-replica';
/** The proxy answers which replica served a request (0 or 1) in this header. */
export const SERVED_BY_HEADER = 'x-served-by';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One API process started from the built dist (`node apps/api/dist/main.js`), like `npm start` runs it. */
export class Replica {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(env: Record<string, string>): Promise<Replica> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    });
    const replica = new Replica(child, port);
    try {
      await replica.listening();
    } catch (err) {
      await replica.stop();
      throw err;
    }
    return replica;
  }

  get log(): string {
    return this.output;
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killer);
  }

  private async listening(): Promise<void> {
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`replica exited with ${this.child.exitCode}: ${this.output}`);
      if (Date.now() > deadline) throw new Error(`replica did not start within 150 s: ${this.output}`);
      const ready = await fetch(`http://127.0.0.1:${this.port}/api/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * A minimal reverse proxy in front of the replicas: round-robin per request (or the replica a
 * test pins with PIN_HEADER), appending the peer address to X-Forwarded-For as a real proxy does.
 */
export class RoundRobinProxy {
  targets: number[] = [];
  private next = 0;
  private readonly server: http.Server;

  private constructor(readonly port: number) {
    this.server = http.createServer((req, res) => this.forward(req, res));
  }

  static async start(): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(await freePort());
    await new Promise<void>((resolve) => proxy.server.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pinned = req.headers[PIN_HEADER];
    const index = pinned === undefined ? this.next++ % this.targets.length : Number(pinned);
    const headers = { ...req.headers };
    delete headers[PIN_HEADER];
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [forwardedFor, req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = http.request(
      { host: '127.0.0.1', port: this.targets[index], method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [SERVED_BY_HEADER]: String(index) });
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  }
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  /** Which replica answered (SERVED_BY_HEADER). */
  servedBy: number;
}

/** One request through the proxy; redirects are answered, not followed. */
export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; replica?: number } = {},
): Promise<Answer<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(options.replica !== undefined ? { [PIN_HEADER]: String(options.replica) } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json') && text !== '';
  return { status: res.status, body: (json ? JSON.parse(text) : text) as T, headers: res.headers, servedBy: Number(res.headers.get(SERVED_BY_HEADER)) };
}
