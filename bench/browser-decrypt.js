#!/usr/bin/env node
// Issue 17: the recipient page's download-and-decrypt in headless Chromium against
// `coffer decrypt` of the same link, paired rounds (order rotated every round), medians of the
// per-round ratios. The real server (apps/api/dist, fs storage, a scratch PostgreSQL database)
// serves the page, the share link and the blob; the file row and its blob are seeded directly
// (libs/crypto encrypt, as `coffer upload` writes it: key commitment, plaintext SHA-256).
//
//   npm run build && flock /tmp/coffer-bench.lock node bench/browser-decrypt.js \
//     [--sizes 256,1024] [--runs 5] [--paths picker,sw] [--dir /tmp/coffer-bench]
//
// Cases, per size (each browser run in a fresh persistent profile on /dev/shm, launched outside the timing):
//   coffer decrypt LINK /dev/shm/… --key K   the whole command (Node start, meta, key check, download, write, fsync)
//   browser, File System Access               click on "Download and decrypt" → the "done" screen; the
//                                             save picker answers a file of the origin-private file
//                                             system (as the browser tests do)
//   browser, service-worker stream            no showSaveFilePicker: click → the browser's download
//                                             finished (Playwright's download event), into /dev/shm
// The page's time excludes loading it and checking the key (uncounted meta, before the click); the
// CLI's includes its start (~0.15 s) and the same checks. Every run is checked byte-exact (size +
// SHA-256 of the saved file, outside the timing). Peak memory: the browser's process tree, sampled
// every 250 ms: the largest single process (RSS, and its anonymous part) and the sum (which counts
// shared memory once per process). Writes bench/out/browser-decrypt.json. Diagnostics: --profile
// FILE (V8 CPU profile of the page, first File System Access run), BENCH_CPU_BY_PROCESS=1.
'use strict';
const { createHash } = require('node:crypto');
const { createReadStream, createWriteStream, mkdirSync, readFileSync, readdirSync, rmSync, statSync } = require('node:fs');
const { loadavg } = require('node:os');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const C = require('./lib/common');
const H = require('./api-harness');

const sizes = String(C.flag('sizes', '256,1024')).split(',').map(Number);
const runs = Number(C.flag('runs', 5));
const paths = String(C.flag('paths', 'picker,sw')).split(',');
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
// Diagnostic: a V8 CPU profile of the page during the first browser run, written here (.cpuprofile).
const profilePath = C.flag('profile', undefined);
const SHM = '/dev/shm/coffer-browser-bench';
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function seedFile(db, scratch, userId, sizeMiB) {
  const { encrypt, randomDek } = require(join(C.ROOT, 'libs/crypto/dist/index.js'));
  const file = C.ensureRandomFile(workDir, sizeMiB * C.MIB);
  const owner = H.ownerPrefix(scratch.secrets, userId);
  const { rows } = await db.query('SELECT gen_random_uuid()::text AS id');
  const id = rows[0].id;
  const dir = join(scratch.dataDir, 'blobs', owner);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dek = randomDek();
  const blob = encrypt(createReadStream(file, { highWaterMark: C.MIB }), dek, { expectedSize: statSync(file).size });
  await pipeline(Readable.from(blob), createWriteStream(join(dir, id)));
  const { sha256 } = await blob.result;
  const blobBytes = statSync(join(dir, id)).size;
  await db.query(
    `INSERT INTO files (id, user_id, file_name, mime_type, status, object_key, declared_size, reserved_bytes, encrypted_size_bytes,
                        plaintext_size_bytes, plaintext_hash, key_management_mode, key_commitment, nonce_prefix,
                        upload_expires_at, completed_at, size_verified_at, created_at, updated_at)
     VALUES ($1, $2, $3, 'application/octet-stream', 'uploaded', $4, $5, 0, $5, $6, $7, 'vault', $8, $9, now(), now(), now(), now(), now())`,
    [id, userId, `bench-${sizeMiB}mib.bin`, `${owner}/${id}`, blobBytes, sizeMiB * C.MIB, sha256, blob.commitment, blob.noncePrefix.toString('hex')],
  );
  await db.query('UPDATE users SET used_bytes = used_bytes + $2, file_count = file_count + 1 WHERE id = $1', [userId, blobBytes]);
  return { id, owner, dek, sha256, size: sizeMiB * C.MIB, name: `bench-${sizeMiB}mib.bin` };
}

/** The browser's own process: the one whose command line names this profile directory. */
function browserPidOf(profileDir) {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(`--user-data-dir=${profileDir}`) && !cmd.some((a) => a.startsWith('--type='))) return Number(name);
    } catch {
      // gone
    }
  }
  return -1;
}

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

/** user + system CPU seconds of these processes so far. */
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

/** Resident memory of a process (KiB): all of it, and its anonymous part (heap; not mapped files or shared memory). */
function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { all: field('VmRSS'), anon: field('RssAnon') };
  } catch {
    return { all: 0, anon: 0 };
  }
}

/** Samples the browser's memory while `run` runs: peak of the tree's RSS sum and of its largest process (MiB). */
async function sampled(rootPid, run) {
  let pids = processTree(rootPid);
  let sum = 0;
  let single = 0;
  let anon = 0;
  let ticks = 0;
  const sample = () => {
    if (ticks++ % 8 === 0) pids = processTree(rootPid);
    const each = pids.map(rssKiB);
    sum = Math.max(sum, each.reduce((a, b) => a + b.all, 0));
    single = Math.max(single, ...each.map((e) => e.all));
    anon = Math.max(anon, ...each.map((e) => e.anon));
  };
  sample();
  const cpuBefore = cpuSeconds(pids);
  const timer = setInterval(sample, 250);
  try {
    const result = await run();
    sample();
    // CPU of the processes alive at the end (a renderer that exited in between is not counted).
    const cpu = cpuSeconds(pids) - cpuBefore;
    if (process.env.BENCH_CPU_BY_PROCESS) {
      for (const pid of pids) {
        let type = 'browser';
        try {
          type = /--type=([a-z-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
          if (type === 'utility') type += /--utility-sub-type=([a-zA-Z.]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? '';
        } catch {
          // gone
        }
        console.error(`    ${pid} ${type}: ${cpuSeconds([pid]).toFixed(2)} s CPU since it started`);
      }
    }
    return { ...result, cpu, rssMiB: sum / 1024, browserRssSumMiB: sum / 1024, browserRssMaxMiB: single / 1024, browserAnonMaxMiB: anon / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/** Removes the file the stubbed picker saved in the origin-private file system. */
const OPFS_REMOVE = `(async (name) => (await navigator.storage.getDirectory()).removeEntry('saved-' + name))`;

/**
 * The origin-private file system's file of exactly `size` bytes under the browser profiles in
 * `dir` (Chromium stores it under an obfuscated name): read from Node, since hashing a multi-GB
 * file inside the page would need it whole in one ArrayBuffer.
 */
function findOpfsFile(dir, size) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findOpfsFile(path, size);
      if (found) return found;
    } else if (entry.isFile() && path.includes('File System') && statSync(path).size === size) {
      return path;
    }
  }
  return undefined;
}

const sha256File = (path) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });

async function main() {
  H.requireBuild('browser-decrypt');
  C.ensureTools(['/usr/bin/time']);
  const { chromium } = require('playwright-core');
  rmSync(SHM, { recursive: true, force: true });
  mkdirSync(join(SHM, 'tmp'), { recursive: true });
  // Playwright puts the browser profile (and so the origin-private file system) and the downloads
  // under os.tmpdir(): on /dev/shm, like the CLI's output, so the disk is out of the comparison.
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
  H.runMain('browser-decrypt', async () => {
    const server = await H.startServer(scratch);
    db = new H.Client({ connectionString: scratch.dbUrl });
    db.on('error', () => undefined); // the scratch database is dropped at the end
    await db.connect();
    const user = await H.insertUser(db);
    // A fresh persistent profile per run: in an off-the-record context (browser.newContext()) the
    // origin-private file system lives in memory, which would count the whole file as the
    // browser's memory; a real save dialog writes to disk.
    let profiles = 0;
    const withBrowser = async (options, fn) => {
      const dir = join(SHM, 'tmp', `profile-${profiles++}`);
      const context = await chromium.launchPersistentContext(dir, { executablePath: process.env.COFFER_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, ...options });
      browser = context;
      try {
        return await fn(context, browserPidOf(dir), dir);
      } finally {
        await context.close();
        browser = undefined;
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const chromiumVersion = require('node:child_process').execFileSync(process.env.COFFER_CHROMIUM ?? '/usr/bin/chromium', ['--version']).toString().trim();
    const report = { machine: C.machine(), chromium: chromiumVersion, runs, head: require('node:child_process').execSync('git rev-parse --short HEAD', { cwd: C.ROOT }).toString().trim(), results: {} };
    const home = join(SHM, 'coffer-home');
    for (const sizeMiB of sizes) {
      const f = await seedFile(db, scratch, user.id, sizeMiB);
      const link = `${server.baseUrl}/files/download/${f.owner}/${f.id}`;
      const webUrl = `${server.baseUrl}/s/${f.owner}/${f.id}#${f.dek.toString('base64url')}`;
      const cliOut = join(SHM, 'cli.bin');
      const loads = [];
      const memory = {};
      const remember = (name, r) => {
        (memory[name] ??= []).push({ sum: r.browserRssSumMiB, max: r.browserRssMaxMiB, anon: r.browserAnonMaxMiB });
        return r;
      };
      const cases = [
        {
          name: 'coffer decrypt',
          run: async () => {
            loads.push(loadavg()[0]);
            return C.timed(process.execPath, [CLI, 'decrypt', link, cliOut, '--key', f.dek.toString('base64'), '--force', '--json'], { env: { COFFER_HOME: home } });
          },
          after: async () => {
            if (statSync(cliOut).size !== f.size || (await sha256File(cliOut)) !== f.sha256) throw new Error('coffer decrypt wrote the wrong bytes');
            rmSync(cliOut, { force: true });
          },
        },
      ];
      if (paths.includes('picker')) {
        cases.push({
          name: 'browser, File System Access',
          run: async () => {
            return withBrowser({}, async (context, pid, dir) => {
              const page = context.pages()[0] ?? (await context.newPage());
              page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && console.error(`  page ${m.type()}: ${m.text()}`));
              page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
              await page.addInitScript(`window.showSaveFilePicker = async ({ suggestedName }) => (await navigator.storage.getDirectory()).getFileHandle('saved-' + suggestedName, { create: true });`);
              await page.goto(webUrl);
              await page.locator('[data-screen="ready"]').waitFor({ timeout: 120_000 });
              const cdp = profilePath ? await context.newCDPSession(page) : undefined;
              if (cdp) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'));
              const r = await sampled(pid, async () => {
                const start = process.hrtime.bigint();
                await page.getByRole('button', { name: 'Download and decrypt' }).click();
                await page.locator('[data-screen="done"], [data-screen="tampered"], [data-screen="unsupported"], [data-screen="network"]').first().waitFor({ timeout: 1_800_000 });
                return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
              });
              if (cdp) {
                const { profile } = await cdp.send('Profiler.stop');
                require('node:fs').writeFileSync(profilePath, JSON.stringify(profile));
              }
              if ((await page.locator('[data-screen="done"]').count()) !== 1) throw new Error(`the page did not finish: ${await page.locator('main').textContent()}`);
              const saved = findOpfsFile(dir, f.size);
              if (!saved || (await sha256File(saved)) !== f.sha256) throw new Error(`the browser did not save the file byte-exact (${saved ?? 'no file of its size'})`);
              await page.evaluate(`${OPFS_REMOVE}(${JSON.stringify(f.name)})`);
              return remember('browser, File System Access', r);
            });
          },
        });
      }
      if (paths.includes('sw')) {
        cases.push({
          name: 'browser, service-worker stream',
          run: async () => {
            return withBrowser({ acceptDownloads: true }, async (context, pid) => {
              const page = context.pages()[0] ?? (await context.newPage());
              await page.addInitScript('delete window.showSaveFilePicker; delete Window.prototype.showSaveFilePicker;');
              await page.goto(webUrl);
              await page.locator('[data-screen="ready"]').waitFor({ timeout: 120_000 });
              let download;
              const r = await sampled(pid, async () => {
                const start = process.hrtime.bigint();
                [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByRole('button', { name: 'Download and decrypt' }).click()]);
                const failure = await download.failure();
                if (failure) throw new Error(`the download failed: ${failure}`);
                return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
              });
              const path = await download.path();
              if (statSync(path).size !== f.size || (await sha256File(path)) !== f.sha256) throw new Error('the service-worker download has the wrong bytes');
              await download.delete();
              return remember('browser, service-worker stream', r);
            });
          },
        });
      }
      console.error(`${sizeMiB} MiB: ${runs} paired rounds (${cases.map((c) => c.name).join(' · ')})`);
      const results = await C.paired(cases, runs, f.size);
      for (const r of results) {
        const m = memory[r.name];
        if (m) Object.assign(r, { browser_rss_sum_MiB_max: +Math.max(...m.map((x) => x.sum)).toFixed(0), browser_rss_largest_process_MiB_max: +Math.max(...m.map((x) => x.max)).toFixed(0), browser_anon_largest_process_MiB_max: +Math.max(...m.map((x) => x.anon)).toFixed(0) });
      }
      report.results[sizeMiB] = {
        mib: sizeMiB,
        loadavg_1m_during: loads.map((l) => +l.toFixed(2)),
        cases: results,
        ratios: results.slice(1).map((r) => C.ratio(r, results[0])),
      };
      rmSync(join(scratch.dataDir, 'blobs', f.owner, f.id), { force: true });
    }
    C.writeResult('browser-decrypt', report);
    console.log(JSON.stringify(report, null, 2));
    await cleanup();
    return 0;
  }, cleanup);
}

main();
