#!/usr/bin/env node
// Issue 17: the owner page's upload (encrypt in the browser, multipart PUTs, 4 parts in flight)
// in headless Chromium against `coffer upload` of the same file to the same server, paired rounds
// (order rotated every round), medians of the per-round ratios. The real server
// (apps/api/dist, fs storage, a scratch PostgreSQL database, default MULTIPART_THRESHOLD_BYTES
// 64 MiB, so both sizes go multipart for both clients) serves the page and takes the parts.
//
//   npm run build && flock /tmp/coffer-bench.lock node bench/browser-upload.js \
//     [--sizes 256,1024] [--runs 5] [--dir /tmp/coffer-bench]
//
// Cases, per size:
//   coffer upload FILE --json        the whole command (Node start, unlock of the local vault and
//                                    the account key: Argon2id each, presign, 4 parts in flight,
//                                    complete with the sealed key and the metadata record)
//   browser                          setInputFiles on the logged-in, unlocked page → "Uploaded <name>."
//                                    (presign, read + hash + encrypt in the page, 4 part PUTs in
//                                    flight, complete); the page was unlocked once before the rounds
// After every run the uploaded file is checked (status uploaded, blob size) and deleted, outside
// the timing. Browser runs are spot-checked byte-exact: the first browser upload of each size is
// decrypted with `coffer decrypt` and compared by SHA-256. Peak memory: the browser's process
// tree (sum of RSS and the largest single process, sampled every 250 ms). Writes
// bench/out/browser-upload.json.
'use strict';
const { createHash } = require('node:crypto');
const { createReadStream, mkdirSync, readFileSync, readdirSync, rmSync, statSync } = require('node:fs');
const { loadavg } = require('node:os');
const { join } = require('node:path');
const C = require('./lib/common');
const H = require('./api-harness');

const sizes = String(C.flag('sizes', '256,1024')).split(',').map(Number);
const runs = Number(C.flag('runs', 5));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const SHM = '/dev/shm/coffer-browser-upload-bench';
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'bench account password';
const VAULT_PASSWORD = 'bench vault password';

/** Every process of the browser (the launcher's child and its descendants). */
function processTree(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  return out;
}

function procNumber(pid, file, re) {
  try {
    return Number(re.exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of the processes. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** Samples the browser's memory while `run` runs: peak of the tree's RSS sum and of its largest process (MiB). */
async function sampled(rootPid, run) {
  let pids = processTree(rootPid);
  let sum = 0;
  let single = 0;
  let ticks = 0;
  const sample = () => {
    if (ticks++ % 8 === 0) pids = processTree(rootPid);
    const each = pids.map((pid) => procNumber(pid, 'status', /VmRSS:\s+(\d+)/));
    sum = Math.max(sum, each.reduce((a, b) => a + b, 0));
    single = Math.max(single, ...each);
  };
  sample();
  const cpuBefore = cpuSeconds(pids);
  const timer = setInterval(sample, 250);
  try {
    const result = await run();
    sample();
    return { ...result, cpu: cpuSeconds(pids) - cpuBefore, rssMiB: sum / 1024, browserRssSumMiB: sum / 1024, browserRssMaxMiB: single / 1024 };
  } finally {
    clearInterval(timer);
  }
}

const sha256File = (path) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });

async function main() {
  H.requireBuild('browser-upload');
  C.ensureTools(['/usr/bin/time']);
  const { chromium } = require('playwright-core');
  const argon2 = require('argon2');
  rmSync(SHM, { recursive: true, force: true });
  mkdirSync(join(SHM, 'tmp'), { recursive: true });
  // The browser profile (Playwright puts it under os.tmpdir()) and the CLI's home on /dev/shm.
  process.env.TMPDIR = join(SHM, 'tmp');
  const scratch = await H.createScratch();
  let browser;
  let db;
  const cleanup = async () => {
    await browser?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    db = undefined;
    await scratch.close();
    rmSync(SHM, { recursive: true, force: true });
  };
  H.runMain('browser-upload', async () => {
    const server = await H.startServer(scratch);
    db = new H.Client({ connectionString: scratch.dbUrl });
    db.on('error', () => undefined); // the scratch database is dropped at the end
    await db.connect();
    const user = await H.insertUser(db, await argon2.hash(PASSWORD, { type: argon2.argon2id }));
    const token = H.forgeAccessToken(scratch.secrets, user.id, 0, await H.insertLogin(db, user.id));
    const call = async (method, path) => {
      const res = await fetch(`${server.baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? undefined : res.json();
    };
    /** The one uploaded file: checked, then deleted (outside the timing). */
    const takeUpload = async (blobBytes) => {
      const files = await call('GET', '/api/files/all');
      if (files.length !== 1 || files[0].status !== 'uploaded' || files[0].encrypted_size_bytes !== blobBytes) throw new Error(`expected one uploaded file of ${blobBytes} bytes, found ${JSON.stringify(files)}`);
      return files[0];
    };
    const deleteAll = async () => {
      for (const f of await call('GET', '/api/files/all')) await call('DELETE', `/api/files?id=${f.file_id}`);
    };

    browser = await chromium.launch({ executablePath: process.env.COFFER_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    // Browser has no process(): the launched Chromium is the child of this process running it.
    const browserPid = processTree(process.pid).find((pid) => pid !== process.pid && /chromium/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? ''));
    if (!browserPid) throw new Error('cannot find the Chromium process');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    page.on('console', (m) => process.env.PAGE_LOG && console.error(m.text()));
    // Log in, create the account key (Argon2id in WebAssembly) once; every round then uploads on this page.
    await page.goto(`${server.baseUrl}/`);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Create your account key' }).waitFor({ timeout: 120_000 });
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await page.getByRole('button', { name: 'Create the key' }).click();
    await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 120_000 });

    // The CLI logs in to the same account and unlocks the key the page created.
    const home = join(SHM, 'coffer-home');
    const cliEnv = { COFFER_HOME: home, HOME: home, COFFER_SERVER: server.baseUrl, COFFER_PASSWORD: PASSWORD, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };
    await C.timed(process.execPath, [CLI, 'auth', 'login', '--email', user.email], { env: cliEnv });

    const report = { machine: C.machine(), chromium: browser.version(), runs, head: require('node:child_process').execSync('git rev-parse --short HEAD', { cwd: C.ROOT }).toString().trim(), results: {} };
    for (const sizeMiB of sizes) {
      const file = C.ensureRandomFile(workDir, sizeMiB * C.MIB);
      const size = statSync(file).size;
      const blobBytes = size + 32 * Math.max(1, Math.ceil(size / 65_536));
      const fileSha = await sha256File(file);
      const name = file.split('/').at(-1);
      const loads = [];
      const memory = [];
      let verified = false;
      const cases = [
        {
          name: 'coffer upload',
          run: async () => {
            loads.push(loadavg()[0]);
            return C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env: cliEnv });
          },
          after: async () => {
            await takeUpload(blobBytes);
            await deleteAll();
          },
        },
        {
          name: 'browser',
          run: async () => {
            const r = await sampled(browserPid, async () => {
              const start = process.hrtime.bigint();
              await page.setInputFiles('#upload', file);
              await page.getByText(`Uploaded ${name}.`).waitFor({ timeout: 1_800_000 });
              return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
            });
            memory.push({ sum: r.browserRssSumMiB, max: r.browserRssMaxMiB });
            return r;
          },
          after: async () => {
            const uploaded = await takeUpload(blobBytes);
            if (!verified) {
              // Byte-exact once per size: the page's share link decrypted by the CLI.
              await page.getByRole('button', { name: `Share ${name}` }).click();
              const link = await page.locator('#share-link').inputValue();
              await page.getByRole('button', { name: 'Close' }).click();
              const [, origin, owner, fileId, fragment] = /^(http:\/\/[^/]+)\/s\/([^/]+)\/([0-9a-f-]{36})#(.+)$/.exec(link);
              if (fileId !== uploaded.file_id) throw new Error('the share link names another file');
              const out = join(SHM, 'check.bin');
              await C.timed(process.execPath, [CLI, 'decrypt', `${origin}/files/download/${owner}/${fileId}`, out, '--key', Buffer.from(fragment, 'base64url').toString('base64'), '--force'], { env: cliEnv });
              if (statSync(out).size !== size || (await sha256File(out)) !== fileSha) throw new Error('the browser uploaded the wrong bytes');
              rmSync(out, { force: true });
              verified = true;
            }
            await deleteAll();
            // The page's list and status line are reset for the next round's "Uploaded" text.
            await page.reload();
            await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
            await page.getByRole('button', { name: 'Unlock' }).click();
            await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 120_000 });
          },
        },
      ];
      console.error(`${sizeMiB} MiB: ${runs} paired rounds (${cases.map((c) => c.name).join(' · ')})`);
      const results = await C.paired(cases, runs, size);
      Object.assign(results[1], {
        browser_rss_sum_MiB_max: +Math.max(...memory.map((x) => x.sum)).toFixed(0),
        browser_rss_largest_process_MiB_max: +Math.max(...memory.map((x) => x.max)).toFixed(0),
        verified_byte_exact: verified,
      });
      report.results[sizeMiB] = { mib: sizeMiB, loadavg_1m_during: loads.map((l) => +l.toFixed(2)), cases: results, ratios: [C.ratio(results[1], results[0])] };
    }
    C.writeResult('browser-upload', report);
    console.log(JSON.stringify(report, null, 2));
    await context.close();
    await cleanup();
    return 0;
  }, cleanup);
}

main();
