import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encrypt, randomDek } from '@coffer/crypto';
import { startTestApp, type StorageKind, type TestApp } from '../../../test/helpers/test-app';
import { createVerifiedUser } from '../../../test/helpers/users';
import { call } from '../../../test/helpers/http';
import { coffer, FAST_KDF_CLI, type CliRun } from './cli-runner';

jest.setTimeout(180_000);

const FRAME = 65_568;

/**
 * A TCP relay in front of the server that sends the answers at a fixed rate per connection (as
 * real object stores do): slow enough that a download can be killed half-way.
 */
class ThrottledRelay {
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  target = 0;
  port = 0;

  constructor(private readonly bytesPerSecond: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: this.target });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        upstream.pause();
        client.write(chunk);
        setTimeout(() => upstream.resume(), (chunk.length / this.bytesPerSecond) * 1000);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Shared {
  link: string;
  key: string;
  fileId: string;
  plaintext: Buffer;
  blob: Buffer;
  objectKey: string;
}

/** Uploads a Coffer-written blob (commitment and nonce prefix recorded) straight through the API. */
async function share(t: TestApp, size: number): Promise<Shared> {
  const user = await createVerifiedUser(t);
  const plaintext = randomBytes(size);
  const dek = randomDek();
  const encrypted = encrypt((async function* () { yield plaintext; })(), dek);
  const parts: Buffer[] = [];
  for await (const chunk of encrypted) parts.push(Buffer.from(chunk));
  const blob = Buffer.concat(parts);
  const presigned = await call(t, 'POST', '/api/files/presign', { user, body: { file_name: 'big.bin', mime_type: 'application/octet-stream', size: blob.length } });
  expect(presigned.status).toBe(200);
  const put = await fetch(presigned.body.upload_resource.url, { method: 'PUT', headers: presigned.body.upload_resource.headers, body: blob });
  expect(put.status).toBe(200);
  const completed = await call(t, 'POST', '/api/files/complete', {
    user,
    body: {
      file_id: presigned.body.file_id, plaintext_hash: createHash('sha256').update(plaintext).digest('hex'), plaintext_size_bytes: size,
      passphrase_salt: '', key_commitment: encrypted.commitment, nonce_prefix: encrypted.noncePrefix.toString('hex'),
    },
  });
  expect(completed.status).toBe(200);
  const objectKey = completed.body.s3_object_key as string;
  return { link: `${t.baseUrl}/files/download/${objectKey}`, key: dek.toString('base64'), fileId: presigned.body.file_id, plaintext, blob, objectKey };
}

async function counted(t: TestApp, fileId: string): Promise<number> {
  return (await t.database.prisma.downloadCounter.findMany({ where: { fileId } })).reduce((sum, row) => sum + row.count, 0);
}

describe.each<StorageKind>(['fs', 's3'])('coffer decrypt of a large file in ranges (%s storage, issue 19)', (storage) => {
  let t: TestApp;
  let root: string;
  let relay: ThrottledRelay | undefined;
  const env = { COFFER_DOWNLOAD_RANGE_FRAMES: '4' };

  beforeAll(async () => {
    if (storage === 'fs') {
      // 4 MB/s per connection: an 8 MiB file takes about a second over 2 connections.
      relay = new ThrottledRelay(4_000_000);
      await relay.start();
    }
    t = await startTestApp({ storage, env: { DAILY_DOWNLOAD_LIMIT: '100', ...(relay ? { PUBLIC_URL: `http://127.0.0.1:${relay.port}` } : {}) } });
    if (relay) relay.target = t.config.port;
    root = await mkdtemp(join(tmpdir(), `coffer-download-e2e-${storage}-`));
  });

  afterAll(async () => {
    await t?.close();
    await relay?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const decrypt = (file: Shared, dest: string, extra: string[] = []) =>
    coffer(['decrypt', file.link, dest, '--key', file.key, ...extra], { home: join(root, 'home'), entry: FAST_KDF_CLI, env });

  function expectOk(run: CliRun): void {
    if (run.code !== 0) throw new Error(`coffer exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }

  it('downloads a multi-MiB file in parallel ranges, byte-exact, counted once, nothing left beside it', async () => {
    const file = await share(t, 3 * 1024 * 1024 + 12_345);
    const dir = join(root, `ranges-${storage}`);
    await mkdir(dir, { recursive: true });

    expectOk(await decrypt(file, join(dir, 'out.bin'), ['--parallel', '3']));

    expect((await readFile(join(dir, 'out.bin'))).equals(file.plaintext)).toBe(true);
    expect((await stat(join(dir, 'out.bin'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['out.bin']);
    expect(await counted(t, file.fileId)).toBe(1);
    expect(await t.database.prisma.downloadSession.count({ where: { fileId: file.fileId } })).toBe(1);
  });

  it('refuses a tampered range with nothing saved under the final name and no partial file left', async () => {
    const file = await share(t, 2 * 1024 * 1024);
    const tampered = Buffer.from(file.blob);
    tampered[20 * FRAME + 1000] ^= 0x01;
    await overwrite(t, file.objectKey, tampered);
    const dir = join(root, `tampered-${storage}`);
    await mkdir(dir, { recursive: true });

    const failed = await decrypt(file, join(dir, 'out.bin'));

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^coffer: decryption failed: the file was tampered with/);
    expect(await readdir(dir)).toEqual([]);
  });

  (storage === 'fs' ? it : it.skip)('resumes after kill -9 at five random points, then finishes byte-exact, counted once', async () => {
    const file = await share(t, 8 * 1024 * 1024);
    const dir = join(root, `killed-${storage}`);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, 'out.bin');
    const recordOf = async () => {
      const name = (await readdir(dir)).find((entry) => entry.endsWith('.download.json'));
      if (!name) return undefined;
      try {
        return JSON.parse(await readFile(join(dir, name), 'utf8')) as { done: Record<string, string> };
      } catch {
        return undefined;
      }
    };
    const ranges = Math.ceil(file.blob.length / (4 * FRAME));
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      const before = Object.keys((await recordOf())?.done ?? {}).length;
      // Somewhere in the next fifth of what is left, at least one more range.
      const target = before + 1 + Math.floor(Math.random() * Math.max(1, (ranges - before) / 5));
      const child = spawn(process.execPath, [FAST_KDF_CLI, 'decrypt', file.link, dest, '--key', file.key], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), COFFER_HOME: join(root, 'home'), ...env },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let done = false;
      void exited.then(() => (done = true));
      while (!done && Object.keys((await recordOf())?.done ?? {}).length < target) await sleep(5);
      if (!done) {
        child.kill('SIGKILL');
        killed++;
      }
      await exited;
      await expect(stat(dest)).rejects.toThrow();
    }
    expect(killed).toBe(5);
    // What the killed runs verified is on disk and in the record: the last run only continues.
    expect(Object.keys((await recordOf())?.done ?? {}).length).toBeGreaterThanOrEqual(5);

    const finished = await decrypt(file, dest);

    expectOk(finished);
    expect((await readFile(dest)).equals(file.plaintext)).toBe(true);
    expect(await readdir(dir)).toEqual(['out.bin']);
    expect(await counted(t, file.fileId)).toBe(1);
  });
  (storage === 'fs' ? it : it.skip)('does not trust a range changed on disk after a kill: it is fetched again, and the file ends byte-exact', async () => {
    const file = await share(t, 4 * 1024 * 1024);
    const dir = join(root, `changed-${storage}`);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, 'out.bin');
    const named = async (suffix: string) => (await readdir(dir)).find((entry) => entry.endsWith(suffix));
    const child = spawn(process.execPath, [FAST_KDF_CLI, 'decrypt', file.link, dest, '--key', file.key], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), COFFER_HOME: join(root, 'home'), ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    const doneRanges = async () => {
      const name = await named('.download.json');
      try {
        return name ? Object.keys((JSON.parse(await readFile(join(dir, name), 'utf8')) as { done: Record<string, string> }).done) : [];
      } catch {
        return [];
      }
    };
    while (!done && !(await doneRanges()).includes('0')) await sleep(5);
    const finishedFirst = done;
    child.kill('SIGKILL');
    await exited;
    expect(finishedFirst).toBe(false);
    // Range 0 (the first 4 frames' plaintext) is recorded as done; one of its bytes changes on disk.
    const partial = join(dir, (await named('.partial'))!);
    const handle = await (await import('node:fs/promises')).open(partial, 'r+');
    await handle.write(Buffer.from([file.plaintext[1000] ^ 0xff]), 0, 1, 1000);
    await handle.close();

    const finished = await decrypt(file, dest);

    expectOk(finished);
    expect((await readFile(dest)).equals(file.plaintext)).toBe(true);
    expect(await readdir(dir)).toEqual(['out.bin']);
    expect(await counted(t, file.fileId)).toBe(1);
  });
});

async function overwrite(t: TestApp, key: string, bytes: Buffer): Promise<void> {
  if (t.config.storage.driver === 'fs') {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(t.config.storage.root, ...key.split('/')), bytes);
    return;
  }
  const put = await t.store.presignPut(key, { contentLength: bytes.length, expiresInSec: 60 });
  const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}
