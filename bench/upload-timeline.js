#!/usr/bin/env node
// Where the fixed cost of `coffer upload` goes: the time from process start to each phase
// (Node ready, Argon2id, worker online, presign, first ciphertext byte, PUT answered, complete,
// exit), median and min–max of several runs into the HTTP sink or the S3 test server. A
// diagnostic, not part of `npm run bench`: it explains why short uploads lose to a pipeline of
// small C tools. It also splits the storage server's main thread over the upload (from
// /proc/<pid>/task/<pid>/schedstat): running, waiting for a core, and idle (waiting for data or
// for its own I/O), which shows whether the client or the CPU holds the server back.
//
//   npx tsc -b && node bench/upload-timeline.js [--size-mib 256] [--runs 7] [--target sink|s3]
//        [--compare /other/checkout/apps/cli/dist/main.js]
// With --compare, every run times both builds (order alternating), so a before/after comparison is
// paired even on a machine whose load moves; it adds the medians of the per-run differences.
// Writes bench/out/upload-timeline-<target>.json.
'use strict';
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const C = require('./lib/common');
const { startS3Target } = require('./lib/s3-target');
const { startFakeApi, signInTo, freshHome, pinAccountKey, pinnedEnv } = require('./cli-fake-api');

const sizeMiB = Number(C.flag('size-mib', 256));
const runs = Number(C.flag('runs', 7));
const target = String(C.flag('target', 'sink'));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const compare = C.flag('compare', undefined);
const builds = [{ label: 'this tree', cli: CLI }, ...(typeof compare === 'string' ? [{ label: compare, cli: compare }] : [])];
const PRELOAD = join(__dirname, 'lib/timeline-preload.js');

async function main() {
  const file = C.ensureRandomFile(workDir, sizeMiB * C.MIB);
  const home = freshHome(join(workDir, 'timeline-home'));
  if (target !== 'sink' && target !== 's3') throw new Error('--target is sink or s3');
  const storage = target === 's3'
    ? await startS3Target(join(workDir, 'timeline-s3rver'))
    : await C.startServer(join(__dirname, 'http-sink.js'), { SINK_GET_FILE: '' });
  const api = await startFakeApi(target === 's3' ? { putUrl: (id, n) => storage.presignPut(`coffer/${id}`, n) } : { sinkUrl: storage.url });
  const afterRun = target === 's3' ? () => storage.clean() : async () => undefined;
  signInTo(home, api.url);
  await pinAccountKey(CLI, home, api.url);
  const env = pinnedEnv(home, api.url); // sealed to the pinned account key: no password, no Argon2id
  const log = join(workDir, 'timeline.jsonl');
  const phases = builds.map(() => new Map());
  const record = (b, phase, ms) => {
    if (!phases[b].has(phase)) phases[b].set(phase, []);
    phases[b].get(phase).push(ms);
  };
  try {
    for (const { cli } of builds) {
      await C.timed(process.execPath, [cli, 'upload', file, '--json'], { env }); // fills the page cache, loads the build's files
      await afterRun();
    }
    for (let run = 0; run < runs; run++) {
      const order = builds.map((_, b) => b);
      if (run % 2 === 1) order.reverse();
      const walls = [];
      for (const b of order) {
        rmSync(log, { force: true });
        const { result, server } = await C.withServerShare(storage.pid, () =>
          C.timed(process.execPath, ['-r', PRELOAD, builds[b].cli, 'upload', file, '--json'], { env: { ...env, TIMELINE_OUT: log } }));
        const { seconds } = result;
        await afterRun();
        const marks = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
        const storageRows = [
          { phase: 'storage main thread: running', ms: server.running },
          { phase: 'storage main thread: waiting for a core', ms: server.waiting },
          { phase: 'storage main thread: idle', ms: server.idle },
        ];
        for (const { phase, ms } of [...marks, { phase: 'wall (time -v)', ms: seconds * 1000 }, { phase: 'CPU user+sys (time -v)', ms: result.cpu * 1000 }, ...storageRows]) record(b, phase, ms);
        walls.push(`${builds[b].label}: ${(seconds * 1000).toFixed(0)} ms`);
      }
      console.error(`  run ${run + 1}/${runs}: ${walls.join(', ')}`);
    }
  } finally {
    await api.close();
    await storage.stop();
  }
  const round = (ms) => +ms.toFixed(1);
  const isServer = (r) => r.phase.startsWith('storage') || r.phase.startsWith('CPU');
  const tables = builds.map(({ label }, b) => {
    const rows = [...phases[b]].map(([phase, ms]) => ({ phase, median_ms: round(C.median(ms)), min_ms: round(Math.min(...ms)), max_ms: round(Math.max(...ms)) }));
    const timeline = rows.filter((r) => !isServer(r)).sort((a, b) => a.median_ms - b.median_ms);
    return { label, phases: [...timeline, ...rows.filter(isServer)] };
  });
  for (const { label, phases: ordered } of tables) {
    console.log(`coffer upload of ${sizeMiB} MiB into ${target === 's3' ? 'the S3 test server' : 'the sink'}, ${runs} runs, ${label} (ms since the process started; storage rows: ms during the run)`);
    console.log('| phase | median | min–max |\n| --- | --- | --- |');
    for (const r of ordered) console.log(`| ${r.phase} | ${r.median_ms} | ${r.min_ms}–${r.max_ms} |`);
  }
  // Paired: the median over runs of (other build − this tree), per phase both builds have.
  const differences = builds.length < 2 ? [] : [...phases[0].keys()].filter((phase) => phases[1].has(phase) && phases[1].get(phase).length === runs && phases[0].get(phase).length === runs).map((phase) => {
    const d = phases[0].get(phase).map((ms, i) => phases[1].get(phase)[i] - ms);
    return { phase, median_ms: round(C.median(d)), min_ms: round(Math.min(...d)), max_ms: round(Math.max(...d)) };
  });
  if (differences.length) {
    console.log(`\nper-run difference, ${builds[1].label} minus this tree (positive: this tree is earlier)`);
    console.log('| phase | median | min–max |\n| --- | --- | --- |');
    for (const r of differences) console.log(`| ${r.phase} | ${r.median_ms} | ${r.min_ms}–${r.max_ms} |`);
  }
  C.writeResult(`upload-timeline-${target}`, { machine: C.machine(), size_mib: sizeMiB, runs, target, phases: tables[0].phases, ...(builds.length > 1 ? { builds: tables, differences } : {}) });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
