import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { blobSize } from '@coffer/crypto';
import { startTestApp, type StorageKind, type TestApp } from '../../../test/helpers/test-app';
import { FULL_TIER } from '../../../test/helpers/test-tier';
import { coffer, FAST_KDF_CLI, json, type CliOptions, type CliRun } from './cli-runner';

jest.setTimeout(300_000);

const PASSWORD = 'correct horse battery';
const VAULT_PASSWORD = 'vault password 1234';
const PASSPHRASE = 'a passphrase of some length';
/** 80 frames: the smallest part the server allows (5,245,440 blob bytes, 5,242,880 plaintext). */
const PART_FRAMES = 80;
const PART_PLAINTEXT = PART_FRAMES * 65_536;

function expectOk(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`coffer exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

interface Record {
  file_id: string;
  nonce_prefix: string;
  commitment: string;
  parts: { [n: string]: { sha256: string; etag?: string } };
}

/** `npm test`: everything on fs, the round trip, the kills and a changed source on s3 too; the full tier: all on both. */
describe.each(['fs', 's3'] as StorageKind[])('coffer upload of large files in parts (%s storage)', (storage) => {
  const full = storage === 's3' && !FULL_TIER ? it.skip : it;
  let t: TestApp;
  let root: string;
  let files: string;
  let owner: CliOptions;
  const env = { COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };
  const run = (args: string[], extra: { [k: string]: string } = {}) => coffer(args, { ...owner, env: { ...env, ...extra } });
  const uploadsDir = () => join(owner.home, 'uploads');

  async function records(): Promise<Record[]> {
    const names = await readdir(uploadsDir()).catch(() => [] as string[]);
    return Promise.all(names.filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(uploadsDir(), n), 'utf8')) as Record));
  }

  const confirmedParts = (record: Record | undefined) => Object.values(record?.parts ?? {}).filter((p) => p.etag).length;

  /** Starts `coffer upload`, kills it with `signal` once `when` holds (or it ended); resolves to its exit. */
  async function interrupted(args: string[], signal: NodeJS.Signals, when: () => Promise<boolean>, extra: { [k: string]: string } = {}): Promise<CliRun> {
    const child = spawn(process.execPath, [FAST_KDF_CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: owner.home, COFFER_HOME: owner.home, COFFER_SERVER: t.baseUrl, ...env, ...extra },
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code, sig) => resolve(code ?? (sig ? -1 : null))));
    let done = false;
    void exited.then(() => (done = true));
    while (!done && !(await when())) await sleep(20);
    if (!done) child.kill(signal);
    const code = await exited;
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  async function pendingUploads(): Promise<string[]> {
    const keys: string[] = [];
    for await (const upload of t.store.listMultipartUploads('')) keys.push(upload.key);
    return keys;
  }

  async function filesOnServer(): Promise<{ file_id: string; status: string }[]> {
    return json(expectOk(await run(['files', 'list', '--json'])));
  }

  async function decrypted(link: string, extra: { [k: string]: string } = {}): Promise<Buffer> {
    const dest = join(root, `out-${randomBytes(4).toString('hex')}.bin`);
    expectOk(await run(['decrypt', link, dest], extra));
    const bytes = await readFile(dest);
    await rm(dest);
    return bytes;
  }

  /** Nothing left behind: no parts in storage, no reservation, no record. */
  async function expectClean(storedBytes: number): Promise<void> {
    expect(await pendingUploads()).toEqual([]);
    const usage = json(expectOk(await run(['usage', '--json'])));
    expect(usage).toMatchObject({ used_bytes: storedBytes, reserved_bytes: 0 });
    expect(await records()).toEqual([]);
  }

  beforeAll(async () => {
    t = await startTestApp({ storage, env: { MULTIPART_THRESHOLD_BYTES: String(6 * 1024 * 1024), MULTIPART_PART_FRAMES: String(PART_FRAMES), DAILY_DOWNLOAD_LIMIT: '1000' } });
    root = await mkdtemp(join(tmpdir(), `coffer-multipart-${storage}-`));
    files = join(root, 'files');
    owner = { home: join(root, 'home'), server: t.baseUrl, entry: FAST_KDF_CLI };
    await mkdir(files);
  });

  afterAll(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // A fresh account per test: its files, usage and storage prefix are the test's alone.
    await rm(owner.home, { recursive: true, force: true });
    const email = `mp-${randomBytes(5).toString('hex')}@example.com`;
    expectOk(await run(['auth', 'register', '--email', email]));
    expectOk(await run(['auth', 'verify', '--email', email, '--code', await t.mail.codeFor(email)]));
    expectOk(await run(['auth', 'login', '--email', email]));
  });

  it('uploads a file of several parts that decrypts byte-exact, in both key modes', async () => {
    const bytes = randomBytes(2 * PART_PLAINTEXT + 12_345);
    const path = join(files, 'three-parts.bin');
    await writeFile(path, bytes);
    const vault = json(expectOk(await run(['upload', path, '--json', '--parallel', '3'])))[0];
    expect(vault).toMatchObject({ ok: true, size_bytes: bytes.length, encrypted_size_bytes: blobSize(bytes.length) });
    expect((await decrypted(vault.link)).equals(bytes)).toBe(true);
    const passphrase = json(expectOk(await run(['upload', path, '--json', '--passphrase'], { COFFER_PASSPHRASE: PASSPHRASE })))[0];
    expect((await decrypted(passphrase.link, { COFFER_PASSPHRASE: PASSPHRASE })).equals(bytes)).toBe(true);
    await expectClean(2 * blobSize(bytes.length));
  });

  it('resumes after five kill -9 at random points, then finishes: byte-exact, one object, quota exact', async () => {
    const bytes = randomBytes(12 * PART_PLAINTEXT + 777);
    const path = join(files, 'killed.bin');
    await writeFile(path, bytes);
    let fileId: string | undefined;
    let finished: { file_id: string; link: string } | undefined;
    for (let kill = 0; kill < 5 && !finished; kill++) {
      // Random points: the first anywhere in the first 0.6 s (start-up, presign, first parts), the
      // others after a random number of further parts is confirmed, plus a random delay.
      const target = kill === 0 ? Infinity : kill * 2 + randomInt(0, 2);
      const jitterMs = randomInt(0, 150);
      const started = Date.now();
      let reachedAt: number | undefined;
      const attempt = await interrupted(['upload', path, '--parallel', '2', '--json'], 'SIGKILL', async () => {
        if (kill === 0) return Date.now() - started > randomInt(50, 600);
        if (reachedAt === undefined && confirmedParts((await records())[0]) >= target) reachedAt = Date.now();
        return reachedAt !== undefined && Date.now() - reachedAt >= jitterMs;
      });
      if (attempt.code === 0) finished = json(attempt)[0];
      const [record] = await records();
      if (record) {
        fileId ??= record.file_id;
        // Every run continues the same upload.
        expect(record.file_id).toBe(fileId);
      }
    }
    finished ??= json(expectOk(await run(['upload', path, '--json'])))[0];
    if (fileId) expect(finished!.file_id).toBe(fileId);
    expect((await decrypted(finished!.link)).equals(bytes)).toBe(true);
    expect(await filesOnServer()).toEqual([expect.objectContaining({ file_id: finished!.file_id, status: 'uploaded' })]);
    await expectClean(blobSize(bytes.length));
  });

  full('keeps a resumable upload on Ctrl-C and says how to continue', async () => {
    const bytes = randomBytes(6 * PART_PLAINTEXT);
    const path = join(files, 'ctrl-c.bin');
    await writeFile(path, bytes);
    const stopped = await interrupted(['upload', path, '--parallel', '1'], 'SIGINT', async () => confirmedParts((await records())[0]) >= 1);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/paused: \d+ of 6 parts are uploaded/);
    expect(stopped.stderr).toContain('coffer upload --abort');
    const [record] = await records();
    expect(confirmedParts(record)).toBeGreaterThanOrEqual(1);
    const finished = json(expectOk(await run(['upload', path, '--json'])))[0];
    expect(finished.file_id).toBe(record.file_id);
    expect((await decrypted(finished.link)).equals(bytes)).toBe(true);
    await expectClean(blobSize(bytes.length));
  });

  it.each([
    ['rewritten (new mtime)', false],
    ...(storage === 's3' && !FULL_TIER ? [] : [['rewritten with its old mtime restored (found by the re-hash)', true] as [string, boolean]]),
  ])('starts over with a fresh key when the source was %s, aborting the old upload', async (_how, keepMtime) => {
    const path = join(files, `changed-${keepMtime}.bin`);
    await writeFile(path, randomBytes(5 * PART_PLAINTEXT));
    await interrupted(['upload', path, '--parallel', '1'], 'SIGKILL', async () => confirmedParts((await records())[0]) >= 2);
    const [old] = await records();
    expect(confirmedParts(old)).toBeGreaterThanOrEqual(2);
    const before = await stat(path);
    const changed = randomBytes(5 * PART_PLAINTEXT);
    await writeFile(path, changed);
    if (keepMtime) await utimes(path, before.atime, before.mtime);
    const finished = expectOk(await run(['upload', path, '--json']));
    expect(finished.stderr).toContain('uploaded again with a fresh key');
    const result = json(finished)[0];
    expect(result.file_id).not.toBe(old.file_id);
    const details = json(expectOk(await run(['files', 'show', result.file_id, '--json'])));
    expect(details.nonce_prefix).not.toBe(old.nonce_prefix);
    expect(details.key_commitment).not.toBe(old.commitment);
    expect((await decrypted(result.link)).equals(changed)).toBe(true);
    expect(await filesOnServer()).toEqual([expect.objectContaining({ file_id: result.file_id, status: 'uploaded' })]);
    await expectClean(blobSize(changed.length));
  });

  full('lists pending uploads and aborts one by path or id', async () => {
    const path = join(files, 'to-abort.bin');
    await writeFile(path, randomBytes(4 * PART_PLAINTEXT));
    await interrupted(['upload', path, '--parallel', '1'], 'SIGKILL', async () => confirmedParts((await records())[0]) >= 1);
    const [record] = await records();
    const listed = json(expectOk(await run(['upload', '--list-pending', '--json'])));
    expect(listed).toEqual([expect.objectContaining({ file_id: record.file_id, path, part_count: 4 })]);
    expect(listed[0].parts_uploaded).toBeGreaterThanOrEqual(1);
    expect(expectOk(await run(['upload', '--list-pending'])).stdout).toContain(record.file_id.slice(0, 8));
    expect(await pendingUploads()).toHaveLength(1);
    const byId = await run(['upload', '--abort', record.file_id.slice(0, 8)]);
    expectOk(byId);
    expect(await filesOnServer()).toEqual([]);
    await expectClean(0);
    const again = await run(['upload', '--abort', path]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no interrupted upload');
  });
});
