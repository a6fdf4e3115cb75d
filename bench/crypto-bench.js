'use strict';
// Throughput of @coffer/crypto (docs/FORMAT.md blobs) against raw AES-256-GCM on 64 KiB chunks.
// Build first: npx tsc -b libs/crypto && node bench/crypto-bench.js [--mib 1024] [--runs 5]
const { createCipheriv, createHash, randomBytes } = require('node:crypto');
const { createReadStream, createWriteStream, readFileSync } = require('node:fs');
const { mkdtemp, rm } = require('node:fs/promises');
const { availableParallelism, loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { parseArgs } = require('node:util');
const { encrypt, randomDek } = require('@coffer/crypto');
// Internals, to force where SHA-256 runs (the public functions choose by size).
const { encryptWith } = require('@coffer/crypto/dist/stream/encrypt.js');
const { decryptWith } = require('@coffer/crypto/dist/stream/decrypt.js');

const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, runs: { type: 'string', default: '5' } } });
const TOTAL = Number(values.mib) * 1024 * 1024;
const RUNS = Number(values.runs);
// The CLI should read files with a 1 MiB highWaterMark: at the default 64 KiB, fs.createReadStream
// alone tops out near 800 MB/s here.
const SOURCE_CHUNK = 1024 * 1024;
const pool = randomBytes(16 * 1024 * 1024);
const key = randomDek();

/** The plaintext, generated on the fly from a random pool, so memory stays flat. */
async function* plaintext() {
  for (let offset = 0; offset < TOTAL; offset += SOURCE_CHUNK) {
    const start = offset % pool.length;
    yield pool.subarray(start, start + Math.min(SOURCE_CHUNK, TOTAL - offset));
  }
}

async function drain(stream) {
  for await (const _chunk of stream);
}

/**
 * CPU seconds used so far by the main thread alone (Linux, USER_HZ = 100). On a shared machine the wall-clock rate
 * depends on what else runs; plaintext per main-thread CPU second is the rate the pipeline reaches
 * when the hashing worker has a core of its own.
 */
function mainThreadCpuSeconds() {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(run) {
  const wall = [];
  const mainCpu = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const cpuStart = mainThreadCpuSeconds();
    await run();
    wall.push(TOTAL / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9));
    mainCpu.push(TOTAL / 1e6 / (mainThreadCpuSeconds() - cpuStart));
  }
  return { wall: median(wall), min: Math.min(...wall), max: Math.max(...wall), mainCpu: median(mainCpu) };
}

/** The floor to compare with: one cipher per 64 KiB chunk, no framing, no output. */
function rawGcm({ hash }) {
  return async () => {
    const sha256 = createHash('sha256');
    for await (const piece of plaintext()) {
      for (let offset = 0; offset < piece.length; offset += 64 * 1024) {
        const chunk = piece.subarray(offset, offset + 64 * 1024);
        const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
        cipher.update(chunk);
        cipher.final();
        cipher.getAuthTag();
        if (hash) sha256.update(chunk);
      }
    }
    sha256.digest();
  };
}

function encryptRun(onWorker) {
  return async () => {
    const blob = encryptWith(plaintext(), key, {}, onWorker);
    await drain(blob);
    await blob.result;
  };
}

async function main() {
  // Decryption reads a blob written once to a temporary file (page-cached after the first run) in
  // 1 MiB chunks, so frames sometimes straddle chunks, as they do in a download.
  const dir = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
  try {
    await runCases(join(dir, 'blob'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runCases(blobPath) {
  await pipeline(Readable.from(encrypt(plaintext(), key)), createWriteStream(blobPath));
  const decryptRun = (onWorker) => async () => {
    const stream = decryptWith(createReadStream(blobPath, { highWaterMark: SOURCE_CHUNK }), key, {}, onWorker);
    await drain(stream);
    await stream.result;
  };

  const cases = [
    ['raw AES-256-GCM, 64 KiB chunks, no hash', rawGcm({ hash: false })],
    ['raw AES-256-GCM + SHA-256, one thread', rawGcm({ hash: true })],
    ['encrypt + SHA-256 (hash inline)', encryptRun(false)],
    ['encrypt + SHA-256 (hash on the worker)', encryptRun(true)],
    ['decrypt + SHA-256 (hash inline)', decryptRun(false)],
    ['decrypt + SHA-256 (hash on the worker)', decryptRun(true)],
  ];
  console.log(`${TOTAL / 1024 / 1024} MiB of plaintext, ${RUNS} runs each; load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`);
  console.log(`${'case'.padEnd(42)} MB/s median [min..max]   MB per main-thread CPU s`);
  for (const [name, run] of cases) {
    const { wall, min, max, mainCpu } = await measure(run);
    const range = `[${min.toFixed(0)}..${max.toFixed(0)}]`;
    console.log(`${name.padEnd(42)} ${wall.toFixed(0).padStart(5)} ${range.padEnd(14)}   ${mainCpu.toFixed(0).padStart(5)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
