#!/usr/bin/env node
// Through the S3 test server, how much of an upload's time is the sender's: curl -T and a plain
// node:http PUT of the plaintext (bench/lib/node-put.js, no encryption), `coffer upload` and the
// age pipeline, in paired rounds, with the storage server's main thread split into running,
// waiting for a core and idle (waiting for data or for its own file writes) during each run.
// A diagnostic, not part of `npm run bench`.
//
//   npx tsc -b && node bench/s3rver-feed.js [--size-mib 1024] [--runs 5]
// Writes bench/out/s3rver-feed.json.
'use strict';
const { join } = require('node:path');
const C = require('./lib/common');
const { ageIdentity } = require('./lib/age-tool');
const { startS3Target } = require('./lib/s3-target');
const { startFakeApi, signInTo, freshHome, pinAccountKey, pinnedEnv } = require('./cli-fake-api');

const sizeMiB = Number(C.flag('size-mib', 1024));
const runs = Number(C.flag('runs', 5));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');

async function main() {
  C.ensureTools(['/usr/bin/time', 'curl', 'openssl', 'age', 'age-keygen']);
  const size = sizeMiB * C.MIB;
  const file = C.ensureRandomFile(workDir, size);
  const s3 = await startS3Target(join(workDir, 'feed-s3rver'));
  const api = await startFakeApi({ putUrl: (id, n) => s3.presignPut(`coffer/${id}`, n) });
  const home = freshHome(join(workDir, 'feed-home'));
  signInTo(home, api.url);
  await pinAccountKey(CLI, home, api.url);
  const env = pinnedEnv(home, api.url); // sealed to the pinned account key: no password, no Argon2id
  const age = ageIdentity(join(workDir, 'feed-age.key'));

  const server = {};
  const watched = (name, note, run) => ({
    name,
    note,
    after: () => s3.clean(),
    run: async () => {
      const { result, server: share } = await C.withServerShare(s3.pid, run);
      (server[name] ??= []).push(share);
      return result;
    },
  });
  const cases = [
    watched('curl -T (plaintext)', 'ceiling', async () => C.timed('curl', ['-sS', '-f', '-T', file, '-o', '/dev/null', await s3.presignPut('curl', size)])),
    watched('node:http PUT (plaintext)', 'bench/lib/node-put.js: no encryption', async () => C.timed(process.execPath, [join(__dirname, 'lib/node-put.js'), await s3.presignPut('node', size), file])),
    watched('coffer upload', 'vault mode, key sealed to the pinned account key', () => C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env })),
    watched('age pipeline', 'tee >(openssl dgst -sha256) | age -r R | curl -T -', async () =>
      C.timedShell(age.uploadPipeline(file, size, await s3.presignPut('age', age.encryptedSize(size))))),
  ];
  let results;
  try {
    await C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env }); // creates the vault, fills the page cache
    await s3.clean();
    console.error(`${sizeMiB} MiB through s3rver, ${runs} paired rounds`);
    results = await C.paired(cases, runs, size);
  } finally {
    await api.close();
    await s3.stop();
  }
  const curl = results[0];
  const rows = results.map((r) => {
    const pick = (key) => Math.round(C.median(server[r.name].map((s) => s[key])));
    return { ...r, storage_main_ms: { running: pick('running'), waiting: pick('waiting'), idle: pick('idle') }, vs_curl: C.ratio(r, curl) };
  });
  console.log(`${sizeMiB} MiB through the S3 test server, ${runs} paired rounds (medians; storage main thread in ms during the run)`);
  console.log('| case | MB/s | min–max | CPU s | vs curl -T | s3rver main: running | waiting for a core | idle |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const s = r.storage_main_ms;
    console.log(`| ${r.name} | ${r.MBps_median} | ${r.MBps_min}–${r.MBps_max} | ${r.cpu_s_median} | ${r.vs_curl.median}× | ${s.running} | ${s.waiting} | ${s.idle} |`);
  }
  const cofferVsAge = C.ratio(results[2], results[3]);
  console.log(`\n${cofferVsAge.of}: ${cofferVsAge.median}× (per-round ${cofferVsAge.min}–${cofferVsAge.max})`);
  C.writeResult('s3rver-feed', { machine: C.machine(), size_mib: sizeMiB, runs, cases: rows, coffer_vs_age: cofferVsAge });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
