#!/usr/bin/env node
// Issue 18, load: two API replicas (apps/api/dist, as the replicas e2e test starts them) on one
// fresh PostgreSQL database, Redis (own REDIS_KEY_PREFIX, rate limits on) and one fs DATA_DIR,
// behind a round-robin proxy (bench/lib/round-robin-proxy.js; PUBLIC_URL is the proxy, so the fs
// driver's presigned PUTs go through it too).
//
//  1. flows: --flows (1,000) presign → PUT → complete flows started at once, spread over --users
//     (10) users whose demand grows with their number (user i asks ~(i+1)×1.4 MiB against a
//     5 MiB USER_QUOTA_BYTES), so most users must be refused some presigns (403 QUOTA_EXCEEDED).
//     Checked after: no 5xx, no network error, every refusal a 4xx with {error, code}, and in
//     PostgreSQL every user's used_bytes = the sum of its uploaded files ≤ the quota, nothing left
//     reserved, one blob on disk per uploaded file. Then every file is deleted through the API
//     (usage back to zero, no blob left).
//  2. soak: --soak-seconds (600) of a steady mix, --rate (10) cycles a second started on a clock
//     (open loop): presign 4 KiB → PUT → complete → list → usage → download link (303) → delete,
//     over --soak-users (20) users and rotating client addresses (under every rate limit). Each
//     replica's RSS (/proc/<pid>/status VmRSS) is sampled every --sample-seconds (5).
//
//   npx tsc -b && node bench/replicas-load.js [--flows 1000] [--users 10] [--soak-seconds 600]
//        [--rate 10 | --concurrency 8] [--soak-users 20] [--sample-seconds 5] [--log-dir DIR]
// Needs PostgreSQL (DATABASE_URL, default the local one) and Redis (REDIS_URL, default
// redis://127.0.0.1:6379). Writes bench/out/replicas-load.json; exits 1 if a check fails.
'use strict';
const { randomBytes } = require('node:crypto');
const { readFileSync, readdirSync, statSync } = require('node:fs');
const { loadavg } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const H = require('./api-harness');
const C = require('./lib/common');
const { startRoundRobinProxy } = require('./lib/round-robin-proxy');

const flows = Number(C.flag('flows', 1000));
const users = Number(C.flag('users', 10));
const soakSeconds = Number(C.flag('soak-seconds', 600));
const rate = Number(C.flag('rate', 10));
const soakUsers = Number(C.flag('soak-users', 20));
const sampleSeconds = Number(C.flag('sample-seconds', 5));
// Closed loop: this many clients each run cycles back to back (steady whatever the machine does);
// 0: open loop at --rate cycles a second (a backlog grows once the servers fall behind).
const concurrency = Number(C.flag('concurrency', 0));
const logDir = C.flag('log-dir', undefined);
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const KIB = 1024;
const USER_QUOTA_BYTES = 5 * C.MIB;

let scratch;
let proxy;
let redis;
const replicas = [];
const prefix = `coffer-bench:${randomBytes(6).toString('hex')}:`;

async function main() {
  H.requireBuild('replicas-load');
  redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  scratch = await H.createScratch();
  proxy = await startRoundRobinProxy();
  const env = {
    PUBLIC_URL: proxy.url,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_ENABLED: 'true',
    TRUST_PROXY: 'loopback',
    USER_QUOTA_BYTES: String(USER_QUOTA_BYTES),
    GLOBAL_QUOTA_BYTES: '0',
    MAX_FILES_PER_USER: '100000',
    DAILY_DOWNLOAD_LIMIT: '1000',
  };
  // One after the other: the first one migrates the empty database.
  for (let i = 0; i < 2; i++) {
    const server = await H.startServer(scratch, { extraEnv: env, logFile: logDir ? join(String(logDir), `replica-${i}.log`) : undefined });
    scratch.server = undefined; // stopped here, not by scratch.close()
    replicas.push(server);
  }
  proxy.targets = replicas.map((r) => r.port);
  const db = new H.Client({ connectionString: scratch.dbUrl });
  await db.connect();
  const report = { machine: { ...C.machine(), uptime_at_start: uptime() }, replicas: 2, storage: 'fs (one DATA_DIR)', redis: redisUrl, user_quota_bytes: USER_QUOTA_BYTES, checks: {} };
  try {
    report.flows = await flowsPhase(db);
    report.checks.flows = report.flows.failures;
    report.soak = await soakPhase(db);
    report.checks.soak = report.soak.failures;
  } finally {
    await db.end();
  }
  report.machine.uptime_at_end = uptime();
  report.proxy = { served_per_replica: proxy.served, upstream_errors: proxy.upstreamErrors.length };
  const failed = [...report.checks.flows, ...report.checks.soak];
  if (proxy.upstreamErrors.length) failed.push(`proxy: ${proxy.upstreamErrors.length} upstream errors, e.g. ${proxy.upstreamErrors[0]}`);
  report.ok = failed.length === 0;
  C.writeResult('replicas-load', report);
  console.log(JSON.stringify({ flows: report.flows.summary, soak: report.soak.summary, failed }, null, 2));
  return failed.length ? 1 : 0;
}

// ------------------------------------------------------------------ phase 1: concurrent flows

async function flowsPhase(db) {
  const people = [];
  for (let i = 0; i < users; i++) people.push(await H.insertUser(db));
  const tokens = await tokensFor(db, people);
  const statuses = {};
  const refusals = {};
  const failures = [];
  const count = (step, status) => (statuses[`${step} ${status}`] = (statuses[`${step} ${status}`] ?? 0) + 1);
  const client = (n) => ({ 'x-forwarded-for': `198.51.100.${n % 250}` });

  console.error(`flows: ${flows} concurrent presign → PUT → complete over ${users} users…`);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: flows }, async (_, n) => {
      const u = n % users;
      // User u asks for (u+1)/5 × 16–128 KiB per file: ~(u+1) × 1.4 MiB over its 100 flows.
      const size = Math.round(((16 + ((n * 7919) % 113)) * KIB * (u + 1)) / 5);
      try {
        const presign = await call('POST', '/api/files/presign', { token: tokens[u], body: { file_name: `flow-${n}.bin`, mime_type: 'application/octet-stream', size }, headers: client(n) });
        count('presign', presign.status);
        if (presign.status !== 200) {
          refusals[presign.body?.code ?? presign.status] = (refusals[presign.body?.code ?? presign.status] ?? 0) + 1;
          if (presign.status >= 500 || typeof presign.body?.code !== 'string') failures.push(`presign ${n}: ${presign.status} ${JSON.stringify(presign.body)}`);
          return { user: u, granted: false };
        }
        const { url, headers } = presign.body.upload_resource;
        const put = await fetch(url, { method: 'PUT', headers, body: randomBytes(size) });
        count('PUT', put.status);
        await put.arrayBuffer();
        if (put.status !== 200) {
          failures.push(`PUT ${n}: ${put.status}`);
          return { user: u, granted: true };
        }
        const complete = await call('POST', '/api/files/complete', { token: tokens[u], body: { file_id: presign.body.file_id, plaintext_hash: '', plaintext_size_bytes: size - 32, passphrase_salt: '' }, headers: client(n) });
        count('complete', complete.status);
        if (complete.status !== 200) failures.push(`complete ${n}: ${complete.status} ${JSON.stringify(complete.body)}`);
        return { user: u, granted: true, fileId: presign.body.file_id, size, completed: complete.status === 200 };
      } catch (error) {
        count('network error', error.cause?.code ?? error.message);
        failures.push(`flow ${n}: ${error.message} ${error.cause?.code ?? ''}`);
        return { user: u, granted: false };
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  // The ledger after: PostgreSQL is the truth, the API's usage must agree with it.
  const perUser = [];
  for (let u = 0; u < users; u++) {
    const mine = results.filter((r) => r.user === u && r.completed);
    const { rows: [row] } = await db.query('SELECT used_bytes::bigint AS used, reserved_bytes::bigint AS reserved, file_count FROM users WHERE id = $1', [people[u].id]);
    const { rows: [files] } = await db.query("SELECT count(*)::int AS n, coalesce(sum(encrypted_size_bytes), 0)::bigint AS bytes FROM files WHERE user_id = $1 AND status = 'uploaded'", [people[u].id]);
    const usage = await call('GET', '/api/user/usage', { token: tokens[u] });
    const used = Number(row.used);
    const expected = mine.reduce((s, r) => s + r.size, 0);
    perUser.push({ user: u, asked_MiB: +(results.filter((r) => r.user === u).length && sizeDemand(u) / C.MIB).toFixed(1), completed: mine.length, refused: results.filter((r) => r.user === u && !r.granted).length, used_bytes: used, quota_bytes: USER_QUOTA_BYTES });
    if (used > USER_QUOTA_BYTES) failures.push(`user ${u}: used ${used} > quota ${USER_QUOTA_BYTES}`);
    if (used !== expected || Number(files.bytes) !== used || files.n !== mine.length) failures.push(`user ${u}: used ${used}, files ${files.n}/${files.bytes} B, completed flows ${mine.length}/${expected} B`);
    if (Number(row.reserved) !== 0) failures.push(`user ${u}: ${row.reserved} bytes still reserved`);
    if (usage.status !== 200 || usage.body.used_bytes !== used) failures.push(`user ${u}: usage answered ${usage.status} ${JSON.stringify(usage.body)}, database says ${used}`);
  }
  const completed = results.filter((r) => r.completed);
  const blobs = countBlobs(join(scratch.dataDir, 'blobs'));
  if (blobs !== completed.length) failures.push(`${blobs} blobs on disk for ${completed.length} uploaded files`);

  // Delete everything through the API: usage back to zero, no blob left.
  const deletes = await Promise.all(completed.map((r) => call('DELETE', `/api/files?id=${r.fileId}`, { token: tokens[r.user], headers: client(r.user) })));
  for (const d of deletes) count('delete', d.status);
  if (deletes.some((d) => d.status !== 204)) failures.push(`deletes: ${deletes.filter((d) => d.status !== 204).length} not 204`);
  const { rows: [left] } = await db.query('SELECT coalesce(sum(used_bytes), 0)::bigint AS used, coalesce(sum(reserved_bytes), 0)::bigint AS reserved FROM users');
  const blobsLeft = countBlobs(join(scratch.dataDir, 'blobs'));
  if (Number(left.used) !== 0 || Number(left.reserved) !== 0 || blobsLeft !== 0) failures.push(`after deleting: used ${left.used}, reserved ${left.reserved}, ${blobsLeft} blobs`);

  const fiveXx = Object.entries(statuses).filter(([k]) => / 5\d\d$/.test(k)).reduce((s, [, v]) => s + v, 0);
  const summary = { flows, users, seconds: +seconds.toFixed(2), flows_per_s: +(flows / seconds).toFixed(0), completed: completed.length, refused: results.filter((r) => !r.granted).length, refusals, five_xx: fiveXx, blobs_after: blobs, blobs_after_delete: blobsLeft, ok: failures.length === 0 };
  console.error(`flows: ${JSON.stringify(summary)}`);
  return { summary, statuses, per_user: perUser, failures: failures.slice(0, 20), failure_count: failures.length };
}

async function tokensFor(db, people) {
  const tokens = [];
  for (const u of people) tokens.push(H.forgeAccessToken(scratch.secrets, u.id, 0, await H.insertLogin(db, u.id)));
  return tokens;
}

function sizeDemand(u) {
  let total = 0;
  for (let n = u; n < flows; n += users) total += Math.round(((16 + ((n * 7919) % 113)) * KIB * (u + 1)) / 5);
  return total;
}

function countBlobs(dir) {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) n += e.isDirectory() ? countBlobs(join(dir, e.name)) : statSync(join(dir, e.name)).size >= 0 ? 1 : 0;
  return n;
}

// ------------------------------------------------------------------ phase 2: soak

async function soakPhase(db) {
  const people = [];
  for (let i = 0; i < soakUsers; i++) people.push(await H.insertUser(db));
  const tokens = await tokensFor(db, people);
  const statuses = {};
  const failures = [];
  const latencies = {};
  const count = (step, status) => (statuses[`${step} ${status}`] = (statuses[`${step} ${status}`] ?? 0) + 1);
  const samples = [];
  const sample = () => samples.push({ t: +((performance.now() - t0) / 1000).toFixed(1), rss_MiB: replicas.map((r) => rssMiB(r.child.pid)), load1: +loadavg()[0].toFixed(2) });
  let cycles = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let done = 0;
  const blob = randomBytes(4 * KIB);

  const timedCall = async (step, ...args) => {
    const t = performance.now();
    const answer = await call(...args);
    (latencies[step] ??= []).push(performance.now() - t);
    count(step, answer.status);
    return answer;
  };
  const cycle = async (n) => {
    const u = n % soakUsers;
    const token = tokens[u];
    const headers = { 'x-forwarded-for': `203.0.113.${n % 250}` };
    try {
      const p = await timedCall('presign', 'POST', '/api/files/presign', { token, headers, body: { file_name: `soak-${n}.bin`, mime_type: 'application/octet-stream', size: blob.length } });
      if (p.status !== 200) throw new Error(`presign ${p.status} ${JSON.stringify(p.body)}`);
      const { url, headers: putHeaders } = p.body.upload_resource;
      const t = performance.now();
      const put = await fetch(url, { method: 'PUT', headers: { ...putHeaders, ...headers }, body: blob });
      await put.arrayBuffer();
      (latencies.PUT ??= []).push(performance.now() - t);
      count('PUT', put.status);
      if (put.status !== 200) throw new Error(`PUT ${put.status}`);
      const c = await timedCall('complete', 'POST', '/api/files/complete', { token, headers, body: { file_id: p.body.file_id, plaintext_hash: '', plaintext_size_bytes: blob.length - 32, passphrase_salt: '' } });
      if (c.status !== 200) throw new Error(`complete ${c.status} ${JSON.stringify(c.body)}`);
      await timedCall('list', 'GET', '/api/files/all', { token, headers });
      await timedCall('usage', 'GET', '/api/user/usage', { token, headers });
      const d = await timedCall('download link', 'GET', `/files/download/${c.body.s3_object_key}`, { headers });
      if (d.status !== 303) throw new Error(`download ${d.status}`);
      const del = await timedCall('delete', 'DELETE', `/api/files?id=${p.body.file_id}`, { token, headers });
      if (del.status !== 204) throw new Error(`delete ${del.status}`);
    } catch (error) {
      if (failures.length < 20) failures.push(`cycle ${n}: ${error.message}`);
      count('failed cycle', error.cause?.code ?? 'check');
    }
  };

  console.error(`soak: ${soakSeconds} s, ${concurrency ? `${concurrency} clients back to back` : `${rate} cycles/s`} over ${soakUsers} users, RSS every ${sampleSeconds} s…`);
  const t0 = performance.now();
  sample();
  const sampler = setInterval(sample, sampleSeconds * 1000);
  if (concurrency > 0) {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < soakSeconds * 1000) {
        const n = cycles++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await cycle(n);
        inFlight--;
        done++;
      }
    }));
  } else await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (cycles < due) {
        const n = cycles++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        cycle(n).finally(() => {
          inFlight--;
          done++;
          if (performance.now() - t0 >= soakSeconds * 1000 && inFlight === 0) resolve();
        });
      }
      if (performance.now() - t0 >= soakSeconds * 1000) {
        clearInterval(tick);
        if (inFlight === 0) resolve();
      }
    }, 20);
  });
  clearInterval(sampler);
  sample();

  const { rows: [left] } = await db.query('SELECT coalesce(sum(used_bytes), 0)::bigint AS used, coalesce(sum(reserved_bytes), 0)::bigint AS reserved, coalesce(sum(file_count), 0)::bigint AS files FROM users');
  const blobsLeft = countBlobs(join(scratch.dataDir, 'blobs'));
  if (Number(left.used) + Number(left.reserved) + Number(left.files) !== 0 || blobsLeft !== 0) failures.push(`after the soak: used ${left.used}, reserved ${left.reserved}, files ${left.files}, ${blobsLeft} blobs`);
  const fiveXx = Object.entries(statuses).filter(([k]) => / 5\d\d$/.test(k)).reduce((s, [, v]) => s + v, 0);
  if (fiveXx) failures.push(`${fiveXx} answers were 5xx`);
  const requests = Object.entries(statuses).filter(([k]) => !k.startsWith('failed')).reduce((s, [, v]) => s + v, 0);
  const rss = replicas.map((_, i) => rssSummary(samples, i));
  const summary = {
    seconds: soakSeconds,
    mode: concurrency ? `closed loop, ${concurrency} clients` : `open loop, ${rate} cycles/s`,
    cycles: done,
    requests,
    requests_per_s: +(requests / soakSeconds).toFixed(0),
    failed_cycles: Object.entries(statuses).filter(([k]) => k.startsWith('failed')).reduce((s, [, v]) => s + v, 0),
    five_xx: fiveXx,
    max_in_flight: maxInFlight,
    rss,
  };
  const lat = Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, { n: v.length, p50_ms: +pct(v, 50).toFixed(1), p99_ms: +pct(v, 99).toFixed(1) }]));
  console.error(`soak: ${JSON.stringify(summary)}`);
  return { summary, statuses, latencies: lat, samples, failures, failure_count: failures.length };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return +(kb / 1024).toFixed(1);
  } catch {
    return NaN;
  }
}

/**
 * Start, end and peak RSS of replica i, the means of the soak's second and last minutes (the first
 * minute warms up: JIT, pools, caches), and the least-squares slope over everything after the first minute.
 */
function rssSummary(samples, i) {
  const xs = samples.map((s) => ({ t: s.t, v: s.rss_MiB[i] }));
  const mean = (a) => a.reduce((s, x) => s + x.v, 0) / a.length;
  const after = xs.filter((x) => x.t >= 60);
  const second = xs.filter((x) => x.t >= 60 && x.t < 120);
  const last = xs.filter((x) => x.t >= xs.at(-1).t - 60);
  let slope = NaN;
  if (after.length > 2) {
    const mt = after.reduce((s, x) => s + x.t, 0) / after.length;
    const mv = mean(after);
    slope = after.reduce((s, x) => s + (x.t - mt) * (x.v - mv), 0) / after.reduce((s, x) => s + (x.t - mt) ** 2, 0);
  }
  return {
    replica: i,
    start_MiB: xs[0].v,
    end_MiB: xs.at(-1).v,
    peak_MiB: Math.max(...xs.map((x) => x.v)),
    second_minute_mean_MiB: second.length ? +mean(second).toFixed(1) : null,
    last_minute_mean_MiB: +mean(last).toFixed(1),
    slope_MiB_per_min_after_first_minute: +(slope * 60).toFixed(2),
  };
}

// ------------------------------------------------------------------ HTTP

async function call(method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(`${proxy.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed };
}

function uptime() {
  return readFileSync('/proc/loadavg', 'utf8').trim();
}

async function cleanup() {
  for (const r of replicas) await r.stop().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  if (redis) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
  await scratch?.close().catch(() => undefined);
}

H.runMain('replicas-load', async () => {
  const code = await main();
  await cleanup();
  return code;
}, cleanup);
