import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import { SmtpCapture } from '../../../../test/helpers/smtp-capture';

const ROOT = path.join(__dirname, '../../../..');
const SIZE = 256 * 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The built server (`node apps/api/dist/main.js`) as a child process, as `npm start` and the image run it. */
class ServerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly baseUrl: string;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
    readonly dataDir: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(db: TestDatabase, mail: SmtpCapture, env: Record<string, string>): Promise<ServerProcess> {
    const port = await freePort();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      APP_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: db.dataDir,
      SMTP_URL: mail.url,
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    };
    if (db.url) childEnv.DATABASE_URL = db.url;
    else delete childEnv.DATABASE_URL;
    const server = new ServerProcess(spawn(process.execPath, [path.join(ROOT, 'apps/api/dist/main.js')], { env: childEnv }), port, db.dataDir);
    await until('the server to listen', () => (server.output.includes('Coffer listening on') ? true : server.child.exitCode !== null ? fail(server.output) : undefined), 60_000);
    return server;
  }

  logged(text: string): boolean {
    return this.output.includes(text);
  }
}

function fail(output: string): never {
  throw new Error(`the server exited early:\n${output}`);
}

async function json(baseUrl: string, method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** register → mailed code → verify → login → presign of SIZE bytes: the upload URL and the object's key. */
async function presignedUpload(server: ServerProcess, mail: SmtpCapture): Promise<{ url: string; headers: Record<string, string>; fileId: string }> {
  const email = `shutdown-${randomUUID()}@example.com`;
  const password = 'correct horse battery';
  expect((await json(server.baseUrl, 'POST', '/api/user/register', { email, password })).status).toBe(201);
  const otp = await mail.codeFor(email, { timeoutMs: 20_000 });
  expect((await json(server.baseUrl, 'PATCH', '/api/user/verify', { email, otp })).status).toBe(204);
  const login = await json(server.baseUrl, 'POST', '/api/user/login', { email, password });
  expect(login.status).toBe(200);
  const presign = await json(server.baseUrl, 'POST', '/api/files/presign', { file_name: 'slow.bin', mime_type: 'application/octet-stream', size: SIZE }, login.body.access_token);
  expect(presign.status).toBe(200);
  return { url: presign.body.upload_resource.url, headers: presign.body.upload_resource.headers, fileId: presign.body.file_id };
}

/** Starts a PUT of SIZE bytes, sends the first half and waits until the server has written it to its temporary file. */
async function beginSlowUpload(server: ServerProcess, upload: { url: string; headers: Record<string, string>; fileId: string }, bytes: Buffer) {
  const sending: { req?: http.ClientRequest } = {};
  const response = new Promise<{ status: number; connection?: string } | Error>((resolve) => {
    const req = http.request(upload.url, { method: 'PUT', headers: { ...upload.headers, 'Content-Length': String(bytes.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', resolve);
    req.write(bytes.subarray(0, SIZE / 2));
    sending.req = req;
  });
  const blobs = path.join(server.dataDir, 'blobs');
  const partial = () => {
    const found = fs.existsSync(blobs) ? (fs.readdirSync(blobs, { recursive: true }) as string[]).find((f) => f.includes(`${upload.fileId}~`)) : undefined;
    return found && fs.statSync(path.join(blobs, found)).size >= SIZE / 2 ? true : undefined;
  };
  await until('the first half of the upload to reach the server', partial);
  return { response, finish: () => sending.req!.end(bytes.subarray(SIZE / 2)), abandon: () => sending.req!.destroy() };
}

describe('graceful shutdown of the built server', () => {
  let db: TestDatabase;
  let mail: SmtpCapture;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    [db, mail] = await Promise.all([createTestDatabase(), SmtpCapture.start()]);
  });

  afterEach(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  });

  afterAll(async () => {
    await mail?.stop();
    await db?.drop();
  });

  it('on SIGTERM refuses new connections, lets an upload in flight finish, and exits 0', async () => {
    server = await ServerProcess.start(db, mail, { SHUTDOWN_GRACE_SECONDS: '60' });
    const upload = await presignedUpload(server, mail);
    const bytes = randomBytes(SIZE);
    const slow = await beginSlowUpload(server, upload, bytes);

    server.child.kill('SIGTERM');
    await until('the server to stop accepting', async () => ((await accepts(server!.port)) ? undefined : true));
    await until('the drain to be logged', () => (server!.logged('draining 1 request(s) in flight') ? true : undefined));
    expect(server.child.exitCode).toBeNull(); // still serving the upload

    slow.finish();
    expect(await slow.response).toEqual({ status: 200, connection: 'close' });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logged('cut ')).toBe(false);
    expect(server.logged('"msg":"stopped"')).toBe(true);
    const stored = (fs.readdirSync(path.join(db.dataDir, 'blobs'), { recursive: true }) as string[]).find((f) => f.endsWith(upload.fileId));
    expect(stored && fs.readFileSync(path.join(db.dataDir, 'blobs', stored)).equals(bytes)).toBe(true);
  }, 120_000);

  it('cuts a request still running when SHUTDOWN_GRACE_SECONDS is over, and still exits 0', async () => {
    server = await ServerProcess.start(db, mail, { SHUTDOWN_GRACE_SECONDS: '1' });
    const upload = await presignedUpload(server, mail);
    const slow = await beginSlowUpload(server, upload, randomBytes(SIZE));

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // The connection was closed under the client: an error (ECONNRESET or EPIPE), no answer.
    expect(await slow.response).toEqual(expect.objectContaining({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) }));
    expect(server.logged('cut 1 request(s) still running after 1 s')).toBe(true);
    slow.abandon();
  }, 120_000);
});
