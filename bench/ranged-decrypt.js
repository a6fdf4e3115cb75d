#!/usr/bin/env node
// Issue 19: 1 GiB `coffer decrypt` in parallel byte ranges (download sessions) against
// `curl | age -d`, paired runs (order rotated every round), medians and per-round ratios.
//   targets: sink      — bench/lib/range-api.js serves the blob from a file (Range or whole)
//            s3        — s3rver in its own process, presigned GETs (take Range)
//            throttled — bench/lib/throttle-proxy.js at --mbps per connection in front of the sink
//
//   npx tsc -b apps/cli && node bench/ranged-decrypt.js [--mib 1024] [--throttled-mib 256] [--runs 3]
//        [--mbps 25] [--targets sink,s3,throttled] [--dir /tmp/coffer-bench] [--baseline <main.js>]
// --baseline adds `coffer decrypt --parallel 4/1` of another build (e.g. an earlier commit's
// apps/cli/dist/main.js in a copy of the repository) to the same paired rounds: before and after.
// Writes bench/out/ranged-decrypt.json. Output goes to /dev/shm for every tool (disk out of it).
'use strict';
const { execFileSync } = require('node:child_process');
const { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const C = require('./lib/common');
const { startS3Target } = require('./lib/s3-target');
const { startThrottleProxy } = require('./lib/throttle-proxy');
const { ageIdentity, sh } = require('./lib/age-tool');

const mib = Number(C.flag('mib', 1024));
const throttledMib = Number(C.flag('throttled-mib', 256));
const runs = Number(C.flag('runs', 3));
const mbps = Number(C.flag('mbps', 25));
const targets = String(C.flag('targets', 'sink,s3,throttled')).split(',');
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const baseline = C.flag('baseline', '');
const shm = '/dev/shm/coffer-ranged-out';
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const RANGE_API = join(__dirname, 'lib/range-api.js');
const OWNER = `usrh-${'0'.repeat(32)}`;
const FILE_ID = '00000000-0000-4000-8000-000000000000';

async function prepare(sizeMiB, recipient) {
  const file = C.ensureRandomFile(workDir, sizeMiB * C.MIB);
  const { encrypt, randomDek } = require(join(C.ROOT, 'libs/crypto/dist/index.js'));
  const dek = randomDek();
  const blobPath = `${file}.coffer`;
  const blob = encrypt(createReadStream(file, { highWaterMark: C.MIB }), dek, { expectedSize: statSync(file).size });
  await pipeline(Readable.from(blob), createWriteStream(blobPath));
  const { sha256 } = await blob.result;
  const agePath = `${file}.age`;
  execFileSync('age', ['-r', recipient, '-o', agePath, file]);
  const meta = {
    file_name: 'x.bin', key_management_mode: 'vault', passphrase_salt: '', kdf_params: null, key_commitment: blob.commitment,
    encrypted_size_bytes: statSync(blobPath).size, plaintext_hash: sha256, encrypted_metadata: null, nonce_prefix: blob.noncePrefix.toString('hex'),
  };
  return { file, dek, blobPath, agePath, meta, size: sizeMiB * C.MIB };
}

async function main() {
  C.ensureTools(['/usr/bin/time', 'curl', 'age', 'age-keygen']);
  mkdirSync(shm, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const { keyPath: ageKey, recipient } = ageIdentity(join(workDir, 'age-ranged.key'));
  const report = { machine: C.machine(), load: require('node:os').loadavg(), runs, mbps, results: {} };
  const out = (f) => join(shm, f);
  const clearOut = async () => rmSync(shm, { recursive: true, force: true }) || mkdirSync(shm, { recursive: true });
  for (const target of targets) {
    const input = await prepare(target === 'throttled' ? throttledMib : mib, recipient);
    const stops = [];
    let blobUrl, ageUrl;
    if (target === 's3') {
      const s3 = await startS3Target(join(workDir, 's3rver-ranged'));
      stops.push(() => s3.stop());
      for (const [key, path] of [['coffer', input.blobPath], ['age', input.agePath]]) {
        execFileSync('curl', ['-sS', '-f', '-T', path, '-o', '/dev/null', await s3.presignPut(key, statSync(path).size)]);
      }
      blobUrl = await s3.presignGet('coffer');
      ageUrl = await s3.presignGet('age');
    }
    const files = JSON.stringify({ coffer: input.blobPath, age: input.agePath });
    const sink = await C.startServer(RANGE_API, { RANGE_META: JSON.stringify(input.meta), RANGE_FILES: files, RANGE_BLOB_URL: blobUrl ?? '' });
    stops.push(() => sink.stop());
    let api = sink;
    if (target === 'throttled') {
      // Everything through the proxy: each connection at most --mbps.
      const proxy = await startThrottleProxy({ target: `127.0.0.1:${new URL(sink.url).port}`, mbps });
      stops.push(() => proxy.close());
      api = { url: `http://127.0.0.1:${proxy.port}` };
    }
    ageUrl ??= `${api.url}/blob/age`;
    const link = `${api.url}/files/download/${OWNER}/${FILE_ID}`;
    const home = join(workDir, 'coffer-home-ranged');
    rmSync(home, { recursive: true, force: true });
    const decrypt = (parallel, cli = CLI) => () =>
      C.timed(process.execPath, [cli, 'decrypt', link, out(`coffer-${parallel}.bin`), '--key', input.dek.toString('base64'), '--force', '--parallel', String(parallel), '--json'], { env: { COFFER_HOME: home } });
    const cases = [
      { name: 'coffer decrypt --parallel 4', run: decrypt(4), after: clearOut },
      { name: 'coffer decrypt --parallel 1', run: decrypt(1), after: clearOut },
      { name: 'curl | age -d', run: () => C.timedShell(`curl -sS -f ${sh(ageUrl)} | age -d -i ${sh(ageKey)} > ${sh(out('age.bin'))}`), after: clearOut },
      ...(baseline
        ? [
            { name: 'baseline --parallel 4', run: decrypt(4, String(baseline)), after: clearOut },
            { name: 'baseline --parallel 1', run: decrypt(1, String(baseline)), after: clearOut },
          ]
        : []),
    ];
    console.error(`${target}: ${input.size / C.MIB} MiB, ${runs} paired rounds`);
    const results = await C.paired(cases, runs, input.size);
    const ratios = [C.ratio(results[0], results[2]), C.ratio(results[1], results[2]), C.ratio(results[0], results[1])];
    if (baseline) ratios.push(C.ratio(results[3], results[2]), C.ratio(results[4], results[2]), C.ratio(results[0], results[3]), C.ratio(results[1], results[4]));
    report.results[target] = { mib: input.size / C.MIB, ...(baseline ? { baseline } : {}), cases: results, ratios };
    for (const stop of stops.reverse()) await stop();
    rmSync(input.blobPath, { force: true });
    rmSync(input.agePath, { force: true });
    C.writeResult('ranged-decrypt', report);
  }
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
