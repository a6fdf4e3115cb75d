'use strict';
// Presign and complete latency for one user with few vs many files (DESIGN.md: "presign latency
// does not grow with the number of files a user has"). Runs the built server as a child process
// on a fresh database of a real PostgreSQL, seeds the files with SQL, then times sequential
// requests from this process.
//
//   npx tsc -b
//   flock /tmp/coffer-bench.lock node bench/presign-scale.js [--quick] [--files 10,10000,100000] \
//     [--requests 200] [--warmup 20] [--strict]
//
// DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/postgres (a scratch database
// coffer_bench_<random> is created and dropped). Each user's files are seeded with SQL; the access
// tokens are minted with the server's JWT secret exactly as the server issues them. Requests are
// sequential and interleaved in blocks of 10 across the users, so drift on a shared machine hits
// every size alike. Prints median/p95/max per size and operation and the ratio of the largest size
// to the smallest, and writes bench/out/presign-scale.json. Exit status 1 when the script fails;
// with --strict also when presign's median at the largest size is over 1.5× that at the smallest.
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { randomBytes } = require('node:crypto');
const h = require('./api-harness');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    files: { type: 'string', default: '10,10000,100000' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    strict: { type: 'boolean', default: false },
  },
});
const FILE_COUNTS = values.files.split(',').map(Number);
const REQUESTS = Number(values.requests ?? (values.quick ? 50 : 200));
const WARMUP = Number(values.warmup ?? (values.quick ? 10 : 20));
const BLOB_BYTES = 1024;
const TARGET = 1.5;

h.requireBuild('presign-scale');
let scratch;

async function seedUser(db, fileCount) {
  const user = await h.insertUser(db);
  await h.seedUploadedFiles(db, scratch.secrets, user.id, fileCount, BLOB_BYTES);
  return { id: user.id, fileCount, auth: { Authorization: `Bearer ${h.forgeAccessToken(scratch.secrets, user.id)}` } };
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
  return res;
}

function presign(baseUrl, user) {
  return fetch(`${baseUrl}/api/files/presign`, {
    method: 'POST',
    headers: { ...user.auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ file_name: 'bench.bin', mime_type: 'application/octet-stream', size: BLOB_BYTES }),
  });
}

function complete(baseUrl, user, fileId) {
  return fetch(`${baseUrl}/api/files/complete`, {
    method: 'POST',
    headers: { ...user.auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ file_id: fileId, plaintext_hash: '', plaintext_size_bytes: BLOB_BYTES - 32, passphrase_salt: '' }),
  });
}

async function measurePresign(baseUrl, user, samples) {
  const ms = await timed(async () => {
    const res = await expectStatus(await presign(baseUrl, user), 200, 'presign');
    await res.json();
  });
  samples?.push(ms);
}

async function measureComplete(baseUrl, user, samples) {
  // Presign and PUT are set-up, not measured.
  const p = await (await expectStatus(await presign(baseUrl, user), 200, 'presign')).json();
  const put = await fetch(p.upload_resource.url, { method: 'PUT', headers: p.upload_resource.headers, body: randomBytes(BLOB_BYTES) });
  await expectStatus(put, 200, 'PUT');
  await put.arrayBuffer();
  const ms = await timed(async () => {
    const res = await expectStatus(await complete(baseUrl, user, p.file_id), 200, 'complete');
    await res.json();
  });
  samples?.push(ms);
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

async function main() {
  scratch = await h.createScratch();
  try {
    // The server migrates the empty database on start.
    const server = await h.startServer(scratch);
    const db = new h.Client({ connectionString: scratch.dbUrl });
    await db.connect();
    const users = [];
    try {
      for (const count of FILE_COUNTS) users.push(await seedUser(db, count));
      await db.query('ANALYZE');
    } finally {
      await db.end();
    }

    const results = new Map(users.map((u) => [u, { presign: [], complete: [] }]));
    for (const user of users) {
      for (let i = 0; i < WARMUP; i++) {
        await measurePresign(server.baseUrl, user);
        await measureComplete(server.baseUrl, user);
      }
    }
    // Interleaved in small blocks, so drift on a shared machine hits every user alike.
    const BLOCK = 10;
    for (let done = 0; done < REQUESTS; done += BLOCK) {
      for (const user of users) {
        const r = results.get(user);
        for (let i = 0; i < Math.min(BLOCK, REQUESTS - done); i++) await measurePresign(server.baseUrl, user, r.presign);
        for (let i = 0; i < Math.min(BLOCK, REQUESTS - done); i++) await measureComplete(server.baseUrl, user, r.complete);
      }
    }

    const rows = [];
    for (const user of users) {
      for (const op of ['presign', 'complete']) {
        const s = stats(results.get(user)[op]);
        rows.push({ files: user.fileCount, op, n: s.n, median_ms: round(s.median), p95_ms: round(s.p95), max_ms: round(s.max) });
      }
    }
    const smallest = Math.min(...FILE_COUNTS);
    const largest = Math.max(...FILE_COUNTS);
    const at = (files, op) => rows.find((r) => r.files === files && r.op === op);
    const ratios = {};
    for (const op of ['presign', 'complete']) {
      ratios[op] = { median: round(at(largest, op).median_ms / at(smallest, op).median_ms), p95: round(at(largest, op).p95_ms / at(smallest, op).p95_ms) };
    }
    const pass = ratios.presign.median <= TARGET;

    const fmt = (v) => v.toFixed(2).padStart(7);
    console.log(`\npresign and complete latency, sequential requests, ${os.cpus().length} CPUs, Node ${process.version}, PostgreSQL (scratch database)`);
    console.log('files of the user | operation |   n | median ms |  p95 ms |  max ms');
    for (const r of rows) {
      console.log(`${String(r.files).padStart(17)} | ${r.op.padEnd(9)} | ${String(r.n).padStart(3)} |   ${fmt(r.median_ms)} | ${fmt(r.p95_ms)} | ${fmt(r.max_ms)}`);
    }
    for (const op of ['presign', 'complete']) {
      console.log(`${op} ${largest}/${smallest} files: median ratio ${ratios[op].median.toFixed(2)}, p95 ratio ${ratios[op].p95.toFixed(2)}`);
    }
    console.log(`acceptance: presign median at ${largest} files within ${TARGET}× of that at ${smallest}: ratio ${ratios.presign.median.toFixed(2)}: ${pass ? 'PASS' : 'FAIL'}`);

    const out = h.writeJson('presign-scale.json', {
      cpus: os.cpus().length,
      node: process.version,
      requests: REQUESTS,
      warmup: WARMUP,
      results: rows,
      ratio_largest_over_smallest: { files: [largest, smallest], ...ratios },
      acceptance: { target: TARGET, metric: 'presign median ratio', ratio: ratios.presign.median, pass },
    });
    console.log(`written ${path.relative(process.cwd(), out)}`);
    return !pass && values.strict ? 1 : 0;
  } finally {
    await scratch.close();
  }
}

function round(v) {
  return Math.round(v * 100) / 100;
}

h.runMain('presign-scale', main, () => scratch?.close());
