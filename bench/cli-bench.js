#!/usr/bin/env node
// Benchmarks `coffer upload` and `coffer decrypt` of one large random file against a throw-away
// HTTP sink (bench/http-sink.js, behind the fake API of bench/cli-fake-api.js), with `curl` into
// the same sink as the ceiling. Median of N runs, paired (alternating order), peak RSS from
// /usr/bin/time -v.
//
//   npx tsc -b libs/crypto apps/cli
//   node bench/cli-bench.js [--size-mib 1024] [--runs 5] [--mode upload|decrypt|both] [--dir /tmp]
'use strict';
const { spawn } = require('node:child_process');
const { createReadStream, createWriteStream, existsSync } = require('node:fs');
const { mkdir, mkdtemp, rm, stat, writeFile } = require('node:fs/promises');
const { tmpdir, cpus, loadavg } = require('node:os');
const { join } = require('node:path');
const { pipeline } = require('node:stream/promises');
const { Readable } = require('node:stream');
const { startFakeApi, fakeAccessToken } = require('./cli-fake-api');

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const VAULT_PASSWORD = 'bench vault password';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const sizeMiB = Number(arg('size-mib', '1024'));
const runs = Number(arg('runs', '5'));
const mode = arg('mode', 'both');
const dir = arg('dir', tmpdir());
const size = sizeMiB * 1024 * 1024;

function run(cmd, args, { env, stdout = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stderr.on('data', (c) => (err += c));
    child.stdout?.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err}`));
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      const seconds = (Number(wall[1] ?? 0) * 3600) + Number(wall[2]) * 60 + Number(wall[3]);
      resolve({ seconds, rssMiB: Number(rss[1]) / 1024, stdout: out });
    });
  });
}

function startSink(getFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'http-sink.js')], { env: { ...process.env, SINK_GET_FILE: getFile ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const puts = [];
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('listening ')) resolve({ url: `http://127.0.0.1:${line.split(' ')[1]}`, puts, stop: () => child.kill() });
        if (line.startsWith('put ')) puts.push(JSON.parse(line.slice(4)));
      }
    });
    child.once('error', reject);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;

async function ensureRandomFile(path) {
  if (existsSync(path) && (await stat(path)).size === size) return;
  console.error(`creating ${path} (${sizeMiB} MiB of random bytes)…`);
  await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `head -c ${size} /dev/urandom > '${path}'`], { stdio: 'inherit' });
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`head exited ${code}`))));
  });
}

function summarize(label, results, bytes) {
  const secs = results.map((r) => r.seconds);
  const rss = results.map((r) => r.rssMiB);
  return {
    label,
    median_s: +median(secs).toFixed(3),
    median_MBps: +mbps(bytes, median(secs)).toFixed(0),
    runs_s: secs.map((s) => +s.toFixed(3)),
    rss_MiB_median: +median(rss).toFixed(1),
    rss_MiB_max: +Math.max(...rss).toFixed(1),
  };
}

async function benchUpload(file, home, sink, api) {
  const env = { COFFER_HOME: home, COFFER_SERVER: api.url, COFFER_VAULT_PASSWORD: VAULT_PASSWORD };
  // Warm-up: creates the vault, fills the page cache with the file.
  await run(process.execPath, [CLI, 'upload', file], { env });
  const coffer = [];
  const curl = [];
  const transfer = [];
  for (let i = 0; i < runs; i++) {
    const pair = [
      async () => {
        coffer.push(await run(process.execPath, [CLI, 'upload', file, '--json'], { env }));
        transfer.push(sink.puts.at(-1));
      },
      async () => curl.push(await run('curl', ['-sS', '-T', file, '-o', '/dev/null', `${sink.url}/put/curl`])),
    ];
    if (i % 2) pair.reverse();
    for (const step of pair) await step();
    console.error(`upload run ${i + 1}/${runs}: coffer ${coffer.at(-1).seconds}s, curl ${curl.at(-1).seconds}s`);
  }
  const putSeconds = median(transfer.map((t) => t.ms)) / 1000;
  return {
    coffer: summarize('coffer upload (wall, incl. start-up and vault unlock)', coffer, size),
    coffer_put: {
      label: 'coffer upload: PUT body, first to last byte as timed by the sink',
      median_s: +putSeconds.toFixed(3),
      median_MBps_plaintext: +mbps(size, putSeconds).toFixed(0),
      blob_bytes: transfer[0].bytes,
    },
    curl: summarize('curl -T (wall)', curl, size),
  };
}

async function makeBlob(file, blobPath) {
  const { encrypt, randomDek } = require(join(ROOT, 'libs/crypto/dist/index.js'));
  const key = randomDek();
  const blob = encrypt(createReadStream(file, { highWaterMark: 1024 * 1024 }), key, { hashInWorker: true });
  await pipeline(Readable.from(blob), createWriteStream(blobPath));
  const { sha256 } = await blob.result;
  return { key: key.toString('base64'), commitment: blob.commitment, sha256 };
}

async function benchDecrypt(file, home, sinkFactory) {
  const blobPath = join(dir, `coffer-bench-${sizeMiB}mib.blob`);
  console.error('encrypting the blob for the decrypt runs…');
  const blob = await makeBlob(file, blobPath);
  const sink = await sinkFactory(blobPath);
  const blobSize = (await stat(blobPath)).size;
  const api = await startFakeApi({
    sinkUrl: sink.url,
    meta: { file_name: 'bench.bin', key_management_mode: 'vault', passphrase_salt: '', kdf_params: null, key_commitment: blob.commitment, encrypted_size_bytes: blobSize, plaintext_hash: blob.sha256 },
  });
  const link = `${api.url}/files/download/${api.owner}/00000000-0000-4000-8000-000000000000`;
  const outDir = join(home, 'out');
  await mkdir(outDir, { recursive: true });
  const env = { COFFER_HOME: home };
  const coffer = [];
  const curl = [];
  try {
    for (let i = 0; i < runs; i++) {
      const pair = [
        async () => coffer.push(await run(process.execPath, [CLI, 'decrypt', link, join(outDir, 'coffer.bin'), '--key', blob.key, '--force', '--json'], { env })),
        async () => curl.push(await run('curl', ['-sS', '-o', join(outDir, 'curl.bin'), `${sink.url}/get/x`])),
      ];
      if (i % 2) pair.reverse();
      for (const step of pair) await step();
      await rm(join(outDir, 'coffer.bin'), { force: true });
      await rm(join(outDir, 'curl.bin'), { force: true });
      console.error(`decrypt run ${i + 1}/${runs}: coffer ${coffer.at(-1).seconds}s, curl ${curl.at(-1).seconds}s`);
    }
  } finally {
    sink.stop();
    await api.close();
    await rm(blobPath, { force: true });
  }
  return {
    coffer: summarize('coffer decrypt (wall: start-up, download, decrypt, verify, write, fsync, rename)', coffer, size),
    curl: summarize('curl -o of the blob (wall, no fsync)', curl, blobSize),
  };
}

async function main() {
  const file = join(dir, `coffer-bench-${sizeMiB}mib.bin`);
  await ensureRandomFile(file);
  const home = await mkdtemp(join(dir, 'coffer-bench-home-'));
  const report = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg_at_start: loadavg() }, size_mib: sizeMiB, runs };
  try {
    if (mode === 'upload' || mode === 'both') {
      const sink = await startSink();
      const api = await startFakeApi({ sinkUrl: sink.url });
      await writeFile(join(home, 'credentials.json'), JSON.stringify({ server: api.url, email: 'bench@example.com', access_token: fakeAccessToken(), refresh_token: 'unused' }), { mode: 0o600 });
      try {
        report.upload = await benchUpload(file, home, sink, api);
      } finally {
        sink.stop();
        await api.close();
      }
    }
    if (mode === 'decrypt' || mode === 'both') report.decrypt = await benchDecrypt(file, home, startSink);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  report.machine.loadavg_at_end = loadavg();
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
