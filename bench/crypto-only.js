#!/usr/bin/env node
// Issue 6 item 3: crypto only, no network. libs/crypto encrypt and decrypt (as the CLI runs them:
// inline, and on a worker thread) vs `age` vs node:crypto's AES-256-GCM on 64 KiB chunks (one
// cipher per frame, as libs/crypto did before its native binding), each as its own process under /usr/bin/time -v, reading a file from the page
// cache and discarding the output; paired runs, medians, min–max, ratios.
//   npx tsc -b libs/crypto && node bench/crypto-only.js [--mib 1024] [--runs 5] [--quick]
// Writes bench/out/crypto-only.json.
'use strict';
const { execFileSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const C = require('./lib/common');
const { ageIdentity } = require('./lib/age-tool');

const quick = C.flag('quick', false) === true;
const mib = Number(C.flag('mib', quick ? 64 : 1024));
const runs = Number(C.flag('runs', quick ? 3 : 5));
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const task = join(__dirname, 'lib', 'crypto-task.js');

async function main() {
  C.ensureTools(['/usr/bin/time', 'age', 'age-keygen']);
  const size = mib * C.MIB;
  const file = C.ensureRandomFile(workDir, size);
  const { keyPath: ageKey, recipient } = ageIdentity(join(workDir, 'age-crypto.key'));
  const blob = `${file}.coffer`;
  const ageBlob = `${file}.age`;
  execFileSync(process.execPath, [task, 'make-blob', file, blob]);
  execFileSync('age', ['-r', recipient, '-o', ageBlob, file]);
  const node = (mode, input) => () => C.timed(process.execPath, [task, mode, input]);
  const report = { machine: C.machine(), size_mib: mib, runs, quick };
  try {
    console.error(`encrypt ${mib} MiB`);
    const enc = await C.paired([
      { name: 'libs/crypto encrypt (as coffer upload: worker reads + SHA-256, AES here)', run: node('encrypt-worker', file) },
      { name: 'libs/crypto encrypt (stream read here, AES here, hash on worker)', run: node('encrypt-inline', file) },
      { name: 'age -r', run: () => C.timed('age', ['-r', recipient, '-o', '/dev/null', file]) },
      { name: 'raw AES-256-GCM 64 KiB (no hash)', note: 'node:crypto, one thread (libs/crypto now seals through its native binding)', run: node('raw-gcm', file) },
      { name: 'raw AES-256-GCM 64 KiB + SHA-256', note: 'one thread', run: node('raw-gcm-sha', file) },
    ], runs, size);
    console.error(`decrypt ${mib} MiB`);
    const dec = await C.paired([
      { name: 'libs/crypto decrypt (+SHA-256 on worker)', run: node('decrypt', blob) },
      { name: 'age -d', run: () => C.timed('age', ['-d', '-i', ageKey, '-o', '/dev/null', ageBlob]) },
    ], runs, size);
    report.encrypt = { cases: enc, ratios: [C.ratio(enc[0], enc[2]), C.ratio(enc[0], enc[3])] };
    report.decrypt = { cases: dec, ratios: [C.ratio(dec[0], dec[1])] };
  } finally {
    rmSync(blob, { force: true });
    rmSync(ageBlob, { force: true });
  }
  C.writeResult('crypto-only', report);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
