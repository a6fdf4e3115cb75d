#!/usr/bin/env node
// Issue 19: uploads when every TCP connection is limited, as real object stores limit single
// connections. bench/lib/throttle-proxy.js (own process) limits each connection to --mbps
// (default 25 MB/s) in front of the S3 test server (bench/s3rver-server.js, with the tests'
// multipart extension); presigned URLs and rclone's endpoint point at the proxy. Paired rounds of
//
//   coffer upload F --parallel N       (N in --parallel, default 1,4,8: multipart, N parts in flight,
//                                       against bench/cli-fake-api.js in its multipart mode)
//   rclone copy F cr:                   crypt over an s3 remote at the proxy, --s3-upload-concurrency N,
//                                       --s3-chunk-size 8M (Coffer's parts are 128 frames = 8,392,704 B),
//                                       --s3-upload-cutoff 8M (its default, 200M, sends smaller files in one stream)
//   coffer upload F (single PUT)        the same CLI against a fake API that never plans multipart
//
// then (--resume, default on) "resume after a kill at 90%": coffer --parallel 4 killed (SIGKILL)
// once storage holds 90% of the parts, the same command run again and timed, against the median
// full upload at --parallel 4; and (--rss-gib 10, 0 to skip) one coffer upload of a 10 GiB file
// straight to the S3 test server (no proxy), --parallel 4, for its peak RSS.
//
//   npx tsc -b && node bench/throttled-upload.js [--size-mib 512] [--runs 3] [--mbps 25]
//        [--parallel 1,4,8] [--no-rclone] [--no-resume] [--rss-gib 10] [--dir /tmp/coffer-bench]
// Writes bench/out/throttled-upload.json. MB/s = 10^6 plaintext bytes per wall-clock second.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const C = require('./lib/common');
const { startS3Target } = require('./lib/s3-target');
const { startFakeApi, signInTo, freshHome, pinAccountKey, pinnedEnv } = require('./cli-fake-api');

const sizeMiB = Number(C.flag('size-mib', 512));
const runs = Number(C.flag('runs', 3));
const mbps = Number(C.flag('mbps', 25));
const parallels = String(C.flag('parallel', '1,4,8')).split(',').map(Number);
const withRclone = C.flag('no-rclone', false) !== true;
const withResume = C.flag('no-resume', false) !== true;
const rssGiB = Number(C.flag('rss-gib', 10));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');

async function main() {
  C.ensureTools(['/usr/bin/time', 'rclone']);
  mkdirSync(workDir, { recursive: true });
  const size = sizeMiB * C.MIB;
  const file = C.ensureRandomFile(workDir, size);
  const report = { machine: { ...C.machine(), uptime_at_start: uptime() }, size_mib: sizeMiB, runs, mbps_per_connection: mbps, parallels };
  const servers = [];
  try {
    const s3 = await startS3Target(join(workDir, 'throttle-s3rver'));
    servers.push(s3);
    const proxy = await C.startServer(join(__dirname, 'lib/throttle-proxy.js'), { THROTTLE_TARGET: s3.url.replace('http://', ''), THROTTLE_MBPS: String(mbps) });
    servers.push(proxy);
    s3.presignFor(proxy.url);

    const home = freshHome(join(workDir, 'throttle-home'));
    const multiApi = await startFakeApi({ multipart: { target: s3 } });
    const singleApi = await startFakeApi({ putUrl: (id, n) => s3.presignPut(`coffer/${id}`, n) });
    servers.push({ stop: () => multiApi.close() }, { stop: () => singleApi.close() });
    // Pins are per server URL: one first use on each (signInTo points the login at that URL).
    signInTo(home, singleApi.url);
    await pinAccountKey(CLI, home, singleApi.url);
    signInTo(home, multiApi.url);
    await pinAccountKey(CLI, home, multiApi.url);
    const coffer = (api, args) => () => {
      signInTo(home, api.url);
      return C.timed(process.execPath, [CLI, 'upload', file, '--json', ...args], { env: pinnedEnv(home, api.url) });
    };

    const rcloneEnv = {
      RCLONE_CONFIG: join(workDir, 'throttle-rclone.conf'),
    };
    // A config file in the work dir (no one's ~/.config): s3 remote at the proxy, crypt over it.
    const obscured = execFileSync('rclone', ['obscure', 'bench crypt password']).toString().trim();
    require('node:fs').writeFileSync(rcloneEnv.RCLONE_CONFIG, [
      '[s3p]', 'type = s3', 'provider = Other', `endpoint = ${proxy.url}`, 'access_key_id = S3RVER', 'secret_access_key = S3RVER',
      'region = us-east-1', 'force_path_style = true', 'no_check_bucket = true', '',
      '[cr]', 'type = crypt', 'remote = s3p:bench/rclone', `password = ${obscured}`, '',
    ].join('\n'), { mode: 0o600 });
    const rclone = (n) => () => C.timed('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', 'copy', file, 'cr:', '--s3-upload-concurrency', String(n), '--s3-chunk-size', '8M', '--s3-upload-cutoff', '8M', '--transfers', '1'], { env: rcloneEnv });

    const after = async () => {
      await s3.clean();
      rmSync(join(home, 'uploads'), { recursive: true, force: true });
    };
    // Warm-up (page cache, first connections), untimed.
    await coffer(multiApi, ['--parallel', '4'])();
    await after();

    const cases = [];
    for (const n of parallels) {
      cases.push({ name: `coffer --parallel ${n}`, note: `multipart, ${n} parts in flight`, run: coffer(multiApi, ['--parallel', String(n)]), after });
      if (withRclone) cases.push({ name: `rclone crypt, concurrency ${n}`, note: `--s3-upload-concurrency ${n} --s3-chunk-size 8M --s3-upload-cutoff 8M`, run: rclone(n), after });
    }
    cases.push({ name: 'coffer single PUT', note: 'one connection (a server that plans no multipart)', run: coffer(singleApi, []), after });
    console.error(`${sizeMiB} MiB through a ${mbps} MB/s-per-connection proxy, ${runs} paired rounds…`);
    const results = await C.paired(cases, runs, size);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    const ratios = [];
    for (const n of parallels) {
      if (n !== 1 && byName['coffer --parallel 1']) ratios.push(C.ratio(byName[`coffer --parallel ${n}`], byName['coffer --parallel 1']));
      if (withRclone) ratios.push(C.ratio(byName[`coffer --parallel ${n}`], byName[`rclone crypt, concurrency ${n}`]));
    }
    report.upload = { cases: results, ratios };
    C.writeResult('throttled-upload', report);

    if (withResume && parallels.includes(4)) {
      report.resume = await resumeAfterKill(s3, home, multiApi, file, byName['coffer --parallel 4'], after);
      C.writeResult('throttled-upload', report);
    }
    if (rssGiB > 0) {
      report.rss = await bigUploadRss(s3, home, multiApi, rssGiB, after);
      C.writeResult('throttled-upload', report);
    }
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  }
  report.machine.uptime_at_end = uptime();
  C.writeResult('throttled-upload', report);
}

/** Kills `coffer upload --parallel 4` once storage holds 90% of its parts; times the rerun. */
async function resumeAfterKill(s3, home, api, file, full, after) {
  const rounds = [];
  for (let round = 0; round < runs; round++) {
    signInTo(home, api.url);
    const env = { ...process.env, ...pinnedEnv(home, api.url) };
    const child = spawn(process.execPath, [CLI, 'upload', file, '--json', '--parallel', '4'], { env, stdio: 'ignore' });
    const started = performance.now();
    let killedAt;
    let partsAtKill = 0;
    await new Promise((resolve, reject) => {
      child.once('exit', resolve);
      child.once('error', reject);
      const poll = setInterval(() => {
        const counts = Object.values(s3.pendingParts());
        const parts = counts.length ? Math.max(...counts) : 0;
        const total = Math.ceil(blobBytes(require('node:fs').statSync(file).size) / (128 * 65_568));
        if (parts >= 0.9 * total && killedAt === undefined) {
          killedAt = performance.now() - started;
          partsAtKill = parts;
          child.kill('SIGKILL');
          clearInterval(poll);
        }
      }, 20);
      child.once('exit', () => clearInterval(poll));
    });
    if (killedAt === undefined) throw new Error('the upload finished before 90% of its parts were seen: use a larger --size-mib');
    const rerun = await C.timed(process.execPath, [CLI, 'upload', file, '--json', '--parallel', '4'], { env: pinnedEnv(home, api.url) });
    await after();
    // The CLI says how many parts it continues from ("N of M parts … were uploaded before").
    const reused = /(\d+) of (\d+) parts/.exec(rerun.stderr);
    rounds.push({ killed_after_s: +(killedAt / 1000).toFixed(2), parts_held_by_storage_at_kill: partsAtKill, parts_reused_by_rerun: reused ? Number(reused[1]) : null, parts_total: reused ? Number(reused[2]) : null, rerun_s: rerun.seconds, rerun_cpu_s: +rerun.cpu.toFixed(2) });
    console.error(`  resume ${round + 1}/${runs}: killed at ${(killedAt / 1000).toFixed(1)} s (storage held ${partsAtKill} parts; the rerun reused ${reused?.[0] ?? '?'}), rerun ${rerun.seconds.toFixed(2)} s`);
  }
  const fullMedian = C.median(full.seconds);
  const rerunMedian = C.median(rounds.map((r) => r.rerun_s));
  return { rounds, full_upload_median_s: fullMedian, rerun_median_s: rerunMedian, rerun_share_of_full: +(rerunMedian / fullMedian).toFixed(3) };
}

/** One coffer upload of `gib` GiB straight to s3rver (no proxy), --parallel 4: peak RSS. */
async function bigUploadRss(s3, home, api, gib, after) {
  const file = C.ensureRandomFile(workDir, gib * 1024 * C.MIB);
  s3.presignFor(s3.url);
  signInTo(home, api.url);
  console.error(`${gib} GiB upload for peak RSS…`);
  const up = await C.timed(process.execPath, [CLI, 'upload', file, '--json', '--parallel', '4'], { env: pinnedEnv(home, api.url) });
  await after();
  rmSync(file, { force: true });
  return { size_gib: gib, seconds: up.seconds, MBps: +((gib * 1024 * C.MIB) / 1e6 / up.seconds).toFixed(0), cpu_s: +up.cpu.toFixed(2), rss_MiB: +up.rssMiB.toFixed(1) };
}

/** The blob's size (docs/FORMAT.md), from libs/crypto. */
function blobBytes(plaintext) {
  return require(join(C.ROOT, 'libs/crypto/dist/index.js')).blobSize(plaintext);
}

function uptime() {
  return require('node:fs').readFileSync('/proc/loadavg', 'utf8').trim();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
