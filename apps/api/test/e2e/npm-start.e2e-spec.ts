import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../../..');

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start', () => {
  let npm: ChildProcessWithoutNullStreams | undefined;
  let serverPid: number | undefined;

  afterAll(() => {
    if (npm?.exitCode === null) npm.kill('SIGKILL');
    if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
  });

  it('starts a development server that points to its admin token without logging it, warns on a public HOST, and stops with npm on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-npm-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, APP_ENV: 'development', HOST: '0.0.0.0', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.DATABASE_URL; // the embedded database under DATA_DIR, as on a fresh clone
    npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env });
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const npmExited = new Promise<number | null>((resolve) => npm!.on('exit', (code) => resolve(code)));

    const listening = await until('the server to listen', () => output.split('\n').find((l) => l.includes('Coffer listening on')), 90_000);
    serverPid = (JSON.parse(listening) as { pid: number }).pid;
    expect(serverPid).not.toBe(npm.pid);
    expect((await fetch(`http://127.0.0.1:${port}/api/healthz`)).status).toBe(200);

    const secretsFile = path.join(dataDir, 'secrets.json');
    const { adminToken } = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { adminToken: string };
    const hint = (JSON.parse(output.split('\n').find((l) => l.includes('curl -X DELETE')) ?? '{}') as { msg?: string }).msg;
    expect(hint).toContain(`"adminToken" key of ${secretsFile}`);
    expect(hint).toContain(`/admin/reset`);
    expect(output).not.toContain(adminToken);
    expect(output).toMatch(/"level":40,.*DEVELOPMENT SERVER LISTENING ON 0\.0\.0\.0/);
    const reset = await fetch(`http://127.0.0.1:${port}/admin/reset`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
    expect(reset.status).toBe(204);

    npm.kill('SIGTERM');
    await npmExited;
    await until('the server process to exit', () => (alive(serverPid!) ? undefined : true), 15_000);
    expect(await accepts(port)).toBe(false);
  }, 150_000);
});
