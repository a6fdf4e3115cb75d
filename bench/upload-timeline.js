#!/usr/bin/env node
// Where the fixed cost of `coffer upload` goes: the time from process start to each phase
// (Node ready, Argon2id, worker online, presign, first ciphertext byte, PUT answered, complete,
// exit), median and min–max of several runs into the HTTP sink. A diagnostic, not part of
// `npm run bench`: it explains why short uploads lose to a pipeline of small C tools.
//
//   npx tsc -b && node bench/upload-timeline.js [--size-mib 256] [--runs 7]
// Writes bench/out/upload-timeline.json.
'use strict';
const { mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const C = require('./lib/common');
const { startFakeApi, fakeAccessToken } = require('./cli-fake-api');

const sizeMiB = Number(C.flag('size-mib', 256));
const runs = Number(C.flag('runs', 7));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const PRELOAD = join(__dirname, 'lib/timeline-preload.js');

async function main() {
  const file = C.ensureRandomFile(workDir, sizeMiB * C.MIB);
  const home = join(workDir, 'timeline-home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const sink = await C.startServer(join(__dirname, 'http-sink.js'), { SINK_GET_FILE: '' });
  const api = await startFakeApi({ sinkUrl: sink.url });
  writeFileSync(join(home, 'credentials.json'), JSON.stringify({ server: api.url, email: 'bench@example.com', access_token: fakeAccessToken(), refresh_token: 'unused' }), { mode: 0o600 });
  const env = { COFFER_HOME: home, COFFER_SERVER: api.url, COFFER_VAULT_PASSWORD: 'bench vault password' };
  const log = join(workDir, 'timeline.jsonl');
  const phases = new Map();
  try {
    await C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env }); // creates the vault, fills the page cache
    for (let run = 0; run < runs; run++) {
      rmSync(log, { force: true });
      const { seconds } = await C.timed(process.execPath, ['-r', PRELOAD, CLI, 'upload', file, '--json'], { env: { ...env, TIMELINE_OUT: log } });
      const marks = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      for (const { phase, ms } of [...marks, { phase: 'wall (time -v)', ms: seconds * 1000 }]) {
        if (!phases.has(phase)) phases.set(phase, []);
        phases.get(phase).push(ms);
      }
      console.error(`  run ${run + 1}/${runs}: ${(seconds * 1000).toFixed(0)} ms`);
    }
  } finally {
    await api.close();
    await sink.stop();
  }
  const rows = [...phases].map(([phase, ms]) => ({ phase, median_ms: +C.median(ms).toFixed(1), min_ms: Math.min(...ms), max_ms: Math.max(...ms) }));
  rows.sort((a, b) => a.median_ms - b.median_ms);
  console.log(`coffer upload of ${sizeMiB} MiB into the sink, ${runs} runs (ms since the process started)`);
  console.log('| phase | median | min–max |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.phase} | ${r.median_ms} | ${r.min_ms}–${r.max_ms} |`);
  C.writeResult('upload-timeline', { machine: C.machine(), size_mib: sizeMiB, runs, phases: rows });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
