'use strict';
// API load (issue 6, item 4): autocannon against the built server on a fresh PostgreSQL database.
//
//   npx tsc -b
//   flock /tmp/coffer-bench.lock node bench/api-load.js [--quick] [--duration 10] [--connections 10,100]
//       [--routes healthz,usage,...] [--users 20] [--profile DIR] [--strict]
//
// DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/postgres; a scratch database
// coffer_bench_<random> is created there and dropped afterwards. The server runs as a child process
// (`node apps/api/dist/main.js`) with RATE_LIMIT_ENABLED=false, LOG_LEVEL=warn, fs storage in a temp
// DATA_DIR, a quota of 10^15 bytes, 10^6 files per user and 10^9 downloads per file and day.
//
// Users: 2 × --users verified users are inserted with SQL (one Argon2id hash shared by all) and
// each logs in once through POST /api/user/login, so every bearer token is a real one. "Readers"
// own exactly 50 uploaded files each (list, details, download link, usage); "writers" start empty
// and take the presign and complete load, so the 50-file lists never grow. Every route picks the
// next user round-robin per request, so at 100 connections each user has ~100/--users requests in
// flight and per-user row locks (the quota reservation) contend as they would in real use.
//
// complete is measured on its real path (HEAD of the object, pending → uploaded, reservation →
// usage): before each complete run, enough pending uploads are inserted with SQL with their 1 KiB
// objects written under DATA_DIR/blobs, as presign + PUT would leave them; each request completes a
// different one.
//
// Output: a table on stdout and bench/out/api-load.json, an array of
// {route, connections, rps, p50_ms, p99_ms, errors, non2xx} (+ p90_ms, requests, server CPU % and ms
// per request, status codes).
// `errors` counts connection errors and timeouts; `non2xx` counts answers other than the route's
// success (303 for the download link, 200 otherwise). Exit status: 1 when the script fails or any
// run has errors or unexpected statuses; with --strict also when the acceptance ratio (presign p99
// at 100 connections within 2× of the bare authenticated route's) is missed.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const argon2 = require('argon2');
const h = require('./api-harness');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string', default: '10,100' },
    routes: { type: 'string' },
    users: { type: 'string', default: '20' },
    profile: { type: 'string' },
    strict: { type: 'boolean', default: false },
  },
});
const DURATION = Number(values.duration ?? (values.quick ? 3 : 10));
const WARMUP = values.quick ? 1 : 2;
const CONNECTIONS = values.connections.split(',').map(Number);
const USERS = Number(values.users);
const FILES_PER_READER = 50;
const BLOB_BYTES = 1024;
const PASSWORD = 'bench-password-1';

h.requireBuild('api-load');
let scratch;

const ROUTES = [
  { name: 'healthz', label: 'GET /api/healthz', expect: 200 },
  { name: 'usage', label: 'GET /api/user/usage (bare auth)', expect: 200 },
  { name: 'list', label: `GET /api/files/all (${FILES_PER_READER} files)`, expect: 200 },
  { name: 'details', label: 'GET /api/files?id=<prefix>', expect: 200 },
  { name: 'download', label: 'GET /files/download/<hash>/<id>', expect: 303 },
  { name: 'presign', label: 'POST /api/files/presign', expect: 200 },
  { name: 'complete', label: 'POST /api/files/complete', expect: 200 },
];
const selected = values.routes ? ROUTES.filter((r) => values.routes.split(',').includes(r.name)) : ROUTES;

function roundRobin(items) {
  let i = 0;
  return () => items[i++ % items.length];
}

/** autocannon `requests` entries for a route; `ctx` holds the users and the pending-upload queue. */
function requestsFor(route, ctx) {
  const bearer = (u) => ({ authorization: `Bearer ${u.token}` });
  const json = { 'content-type': 'application/json' };
  switch (route) {
    case 'healthz':
      return [{ method: 'GET', path: '/api/healthz' }];
    case 'usage': {
      const next = roundRobin(ctx.readers);
      return [{ method: 'GET', path: '/api/user/usage', setupRequest: (req) => ({ ...req, headers: bearer(next()) }) }];
    }
    case 'list': {
      const next = roundRobin(ctx.readers);
      return [{ method: 'GET', path: '/api/files/all', setupRequest: (req) => ({ ...req, headers: bearer(next()) }) }];
    }
    case 'details': {
      // Round-robin over readers, and over each reader's files: an 8-character prefix (one match).
      const next = roundRobin(ctx.readerFiles);
      return [
        {
          method: 'GET',
          setupRequest: (req) => {
            const f = next();
            return { ...req, path: `/api/files?id=${f.id.slice(0, 8)}`, headers: bearer(f.user) };
          },
        },
      ];
    }
    case 'download': {
      const next = roundRobin(ctx.readerFiles);
      return [
        {
          method: 'GET',
          setupRequest: (req) => {
            const f = next();
            return { ...req, path: `/files/download/${f.user.prefix}/${f.id}` };
          },
        },
      ];
    }
    case 'presign': {
      const next = roundRobin(ctx.writers);
      const body = JSON.stringify({ file_name: 'bench.bin', mime_type: 'application/octet-stream', size: BLOB_BYTES });
      return [{ method: 'POST', path: '/api/files/presign', body, setupRequest: (req) => ({ ...req, headers: { ...json, ...bearer(next()) } }) }];
    }
    case 'complete':
      return [
        {
          method: 'POST',
          path: '/api/files/complete',
          setupRequest: (req) => {
            let f = ctx.pending[ctx.pendingNext++];
            if (!f) {
              // Out of pending uploads: repeat a completed one (the idempotent path), and say so.
              ctx.exhausted++;
              f = ctx.pending[ctx.pendingNext++ % ctx.pending.length];
            }
            const body = JSON.stringify({ file_id: f.id, plaintext_hash: '', plaintext_size_bytes: BLOB_BYTES - 32, passphrase_salt: '' });
            return { ...req, body, headers: { ...json, ...bearer(f.user) } };
          },
        },
      ];
    default:
      throw new Error(`unknown route ${route}`);
  }
}

function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

async function cannon(baseUrl, requests, connections, duration) {
  return autocannon({ url: baseUrl, connections, duration, requests, timeout: 10 });
}

function summarize(route, connections, result, serverCpuPct) {
  let unexpected = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(code) !== route.expect) unexpected += count;
  }
  return {
    route: route.name,
    label: route.label,
    connections,
    rps: Math.round(result.requests.average * 10) / 10,
    p50_ms: result.latency.p50,
    p90_ms: result.latency.p90,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: unexpected,
    requests: result.requests.total,
    server_cpu_pct: serverCpuPct,
    // Server CPU (main process) per request: less sensitive to other load on the machine than req/s.
    server_cpu_ms_per_req: serverCpuPct === null || !result.requests.average ? null : Math.round((serverCpuPct * 10 * 100) / result.requests.average) / 100,
    status_codes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([c, v]) => [c, v.count])),
  };
}

async function seedPendingFor(ctx, db, count) {
  const perUser = Math.ceil(count / ctx.writers.length);
  const byUser = [];
  for (const w of ctx.writers) byUser.push((await h.seedPendingUploads(db, scratch, w.id, perUser, BLOB_BYTES)).map((id) => ({ id, user: w })));
  // Interleaved, so consecutive requests belong to different users.
  ctx.pending = [];
  for (let i = 0; i < perUser; i++) for (const list of byUser) ctx.pending.push(list[i]);
  ctx.pendingNext = 0;
  ctx.exhausted = 0;
  await db.query('ANALYZE files');
}

async function login(baseUrl, email) {
  const res = await fetch(`${baseUrl}/api/user/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return (await res.json()).access_token;
}

async function main() {
  scratch = await h.createScratch();
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
  const server = await h.startServer(scratch, { nodeArgs });
  const db = new h.Client({ connectionString: scratch.dbUrl });
  await db.connect();
  const ctx = { readers: [], writers: [], readerFiles: [], pending: [], pendingNext: 0, exhausted: 0 };
  try {
    const setupStart = performance.now();
    const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 64 * 1024, timeCost: 3, parallelism: 1 });
    for (let i = 0; i < USERS; i++) {
      const reader = await h.insertUser(db, hash);
      reader.prefix = h.ownerPrefix(scratch.secrets, reader.id);
      reader.files = await h.seedUploadedFiles(db, scratch.secrets, reader.id, FILES_PER_READER, BLOB_BYTES);
      ctx.readers.push(reader);
      ctx.writers.push(await h.insertUser(db, hash));
    }
    for (let i = 0; i < FILES_PER_READER; i++) for (const r of ctx.readers) ctx.readerFiles.push({ id: r.files[i], user: r });
    await db.query('ANALYZE');
    // Real logins, a few at a time (Argon2id costs ~0.3 s of server CPU each).
    const everyone = [...ctx.readers, ...ctx.writers];
    for (let i = 0; i < everyone.length; i += 4) {
      await Promise.all(everyone.slice(i, i + 4).map(async (u) => (u.token = await login(server.baseUrl, u.email))));
    }
    console.error(`api-load: ${everyone.length} users logged in, ${USERS * FILES_PER_READER} files seeded in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

    const results = [];
    const rpsOf = {};
    for (const route of selected) {
      for (const connections of CONNECTIONS) {
        if (route.name === 'complete') {
          // Enough pending uploads for the warm-up and the run, judged from presign's pace.
          const pace = rpsOf[`presign:${connections}`] ?? 1500;
          await seedPendingFor(ctx, db, Math.ceil(pace * (DURATION + WARMUP) * 1.5) + 200);
        }
        await cannon(server.baseUrl, requestsFor(route.name, ctx), Math.min(connections, 10), WARMUP);
        const ticks0 = cpuTicks(server.child.pid);
        const t0 = performance.now();
        const result = await cannon(server.baseUrl, requestsFor(route.name, ctx), connections, DURATION);
        const seconds = (performance.now() - t0) / 1000;
        const ticks1 = cpuTicks(server.child.pid);
        const cpu = ticks0 === undefined || ticks1 === undefined ? null : Math.round(((ticks1 - ticks0) / 100 / seconds) * 100);
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) during ${route.name} @${connections}`);
        }
        const row = summarize(route, connections, result, cpu);
        if (route.name === 'complete' && ctx.exhausted > 0) {
          row.note = `${ctx.exhausted} requests repeated an already completed file (ran out of pending uploads)`;
        }
        rpsOf[`${route.name}:${connections}`] = row.rps;
        results.push(row);
        console.error(
          `api-load: ${route.name} @${connections}: ${row.rps} req/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, errors ${row.errors}, unexpected ${row.non2xx}`,
        );
      }
    }

    const out = h.writeJson('api-load.json', results.map(({ label: _label, ...r }) => r));
    printTable(results);
    console.log(`written ${path.relative(process.cwd(), out)}`);

    let code = 0;
    const bad = results.filter((r) => r.errors > 0 || r.non2xx > 0);
    if (bad.length) {
      console.log(`FAIL: errors or unexpected statuses in ${bad.map((r) => `${r.route}@${r.connections}`).join(', ')}`);
      code = 1;
    }
    const presign = results.find((r) => r.route === 'presign' && r.connections === 100);
    const usage = results.find((r) => r.route === 'usage' && r.connections === 100);
    if (presign && usage) {
      const ratio = presign.p99_ms / usage.p99_ms;
      const pass = ratio <= 2;
      console.log(
        `acceptance: presign p99 @100 = ${presign.p99_ms} ms, bare authenticated route (GET /api/user/usage) p99 @100 = ${usage.p99_ms} ms, ratio ${ratio.toFixed(2)} (target ≤ 2): ${pass ? 'PASS' : 'FAIL'}`,
      );
      if (!pass && values.strict) code = 1;
    }
    return code;
  } finally {
    await db.end().catch(() => undefined);
    await scratch.close();
  }
}

function printTable(results) {
  console.log(`\nAPI load: autocannon, ${DURATION} s per run, ${os.cpus().length} CPUs, Node ${process.version}, ${USERS} readers + ${USERS} writers`);
  console.log('route                               | conns |   req/s | p50 ms | p99 ms | errors | non-2xx | server CPU | CPU ms/req');
  console.log('------------------------------------|-------|---------|--------|--------|--------|---------|------------|-----------');
  for (const r of results) {
    console.log(
      `${r.label.padEnd(35)} | ${String(r.connections).padStart(5)} | ${String(r.rps).padStart(7)} | ${String(r.p50_ms).padStart(6)} | ${String(r.p99_ms).padStart(6)} | ${String(r.errors).padStart(6)} | ${String(r.non2xx).padStart(7)} | ${(r.server_cpu_pct === null ? '' : `${r.server_cpu_pct}%`).padStart(10)} | ${String(r.server_cpu_ms_per_req ?? '').padStart(10)}${r.note ? `  (${r.note})` : ''}`,
    );
  }
}

h.runMain('api-load', main, () => scratch?.close());
