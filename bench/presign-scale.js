'use strict';
// Presign and complete latency for one user with few vs many files (DESIGN.md: "presign latency
// does not grow with the number of files a user has"). Runs the built server as a child process
// on a fresh database of a real PostgreSQL, seeds the files with SQL, then times sequential
// requests from this process.
//
//   npm run build
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node bench/presign-scale.js \
//     [--files 10,10000] [--requests 200] [--warmup 20]
const { spawn } = require('node:child_process');
const { createHmac, randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Client } = require('pg');

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10,10000' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
  },
});
const FILE_COUNTS = values.files.split(',').map(Number);
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const BLOB_BYTES = 1024;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('presign-scale: set DATABASE_URL to a PostgreSQL server (a scratch database is created and dropped)');
  process.exit(2);
}
const mainJs = path.join(__dirname, '../apps/api/dist/main.js');
if (!fs.existsSync(mainJs)) {
  console.error('presign-scale: build first (npm run build)');
  process.exit(2);
}

const secrets = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  USER_ID_HASH_SECRET: randomBytes(32).toString('hex'),
  OTP_SECRET: randomBytes(32).toString('hex'),
  REFRESH_TOKEN_SECRET: randomBytes(32).toString('hex'),
};

function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin(sql) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** An access token exactly as AccessTokenService issues it (HS256, issuer "coffer"). */
function accessToken(userId) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: userId, ver: 0, iat, exp: iat + 3600, iss: 'coffer' })}`;
  return `${body}.${createHmac('sha256', secrets.JWT_SECRET).update(body).digest('base64url')}`;
}

function ownerPrefix(userId) {
  return `usrh-${createHmac('sha256', secrets.USER_ID_HASH_SECRET).update(userId).digest('hex').slice(0, 32)}`;
}

async function seedUser(db, fileCount) {
  const id = randomUUID();
  await db.query(
    `INSERT INTO users (id, email, password_hash, verified_at, used_bytes, file_count, updated_at)
     VALUES ($1, $2, 'bench', now(), $3, $4, now())`,
    [id, `${id}@bench.example`, fileCount * BLOB_BYTES, fileCount],
  );
  // Uploaded files spread over the past year, as a long-lived account would have.
  await db.query(
    `INSERT INTO files (id, user_id, file_name, mime_type, status, object_key, declared_size, reserved_bytes,
                        encrypted_size_bytes, plaintext_size_bytes, key_management_mode, upload_expires_at,
                        completed_at, size_verified_at, created_at, updated_at)
     SELECT s.id, $1, 'seed-' || s.g || '.bin', 'application/octet-stream', 'uploaded', $2 || '/' || s.id, $3::bigint, $3::bigint,
            $3::bigint, $3::bigint - 32, 'vault', s.at + interval '15 minutes', s.at, s.at + interval '2 hours', s.at, s.at
     FROM (SELECT gen_random_uuid() AS id, g, now() - (g || ' minutes')::interval * 50 AS at FROM generate_series(1, $4::int) g) s`,
    [id, ownerPrefix(id), BLOB_BYTES, fileCount],
  );
  await db.query('UPDATE storage_usage SET used_bytes = used_bytes + $1 WHERE id = 1', [fileCount * BLOB_BYTES]);
  return { id, fileCount, auth: { Authorization: `Bearer ${accessToken(id)}` } };
}

async function startServer(dbUrl, dataDir) {
  const port = await freePort();
  const child = spawn(process.execPath, [mainJs], {
    env: {
      ...process.env,
      ...secrets,
      APP_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: dbUrl,
      DATA_DIR: dataDir,
      STORAGE_DRIVER: 'fs',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      MAX_FILES_PER_USER: '1000000',
      USER_QUOTA_BYTES: String(10 ** 15),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/api/healthz`)).ok) return { child, baseUrl };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('server did not start');
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
  const name = `coffer_bench_${randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  await admin(`CREATE DATABASE "${name}"`);
  const dbUrl = withDatabase(databaseUrl, name);
  let server;
  try {
    // The server migrates the empty database on start.
    server = await startServer(dbUrl, dataDir);
    const db = new Client({ connectionString: dbUrl });
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

    const fmt = (v) => v.toFixed(2).padStart(7);
    console.log(`presign and complete latency, sequential requests, ${os.cpus().length} CPUs, PostgreSQL ${dbUrl.replace(/\/\/[^@]*@/, '//')}`);
    console.log('files of the user | operation |   n | median ms |  p95 ms |  max ms');
    for (const user of users) {
      for (const op of ['presign', 'complete']) {
        const s = stats(results.get(user)[op]);
        console.log(`${String(user.fileCount).padStart(17)} | ${op.padEnd(9)} | ${String(s.n).padStart(3)} |   ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.max)}`);
      }
    }
  } finally {
    server?.child.kill();
    if (server) await new Promise((r) => server.child.once('exit', r));
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`presign-scale: ${err.stack || err}`);
  process.exit(1);
});
