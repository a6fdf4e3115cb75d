'use strict';
// Shared by bench/api-load.js and bench/presign-scale.js: a scratch PostgreSQL database, the built
// server as a child process (fs storage in a temp DATA_DIR), and users and files seeded with SQL.
const { spawn } = require('node:child_process');
const { createHmac, randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');

const MAIN_JS = path.join(__dirname, '../apps/api/dist/main.js');
const OUT_DIR = path.join(__dirname, 'out');

function requireBuild(tool) {
  if (!fs.existsSync(MAIN_JS)) {
    console.error(`${tool}: build first (npx tsc -b)`);
    process.exit(2);
  }
}

/** DATABASE_URL, or the local trust-auth PostgreSQL the tests use. */
function adminDatabaseUrl() {
  return process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function adminQuery(sql) {
  const client = new Client({ connectionString: adminDatabaseUrl() });
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

function randomSecrets() {
  return {
    JWT_SECRET: randomBytes(32).toString('hex'),
    USER_ID_HASH_SECRET: randomBytes(32).toString('hex'),
    OTP_SECRET: randomBytes(32).toString('hex'),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString('hex'),
  };
}

/**
 * A fresh database `coffer_bench_<random>` and a temp DATA_DIR; `close()` stops the server (if
 * one was started) and drops both.
 */
async function createScratch() {
  const name = `coffer_bench_${randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  await adminQuery(`CREATE DATABASE "${name}"`);
  const scratch = {
    name,
    dataDir,
    dbUrl: withDatabase(adminDatabaseUrl(), name),
    secrets: randomSecrets(),
    server: undefined,
    async close() {
      if (scratch.server) await scratch.server.stop();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return scratch;
}

/**
 * Starts `node apps/api/dist/main.js` on the scratch database (it migrates the empty database on
 * start). `extraEnv` overrides the defaults; `nodeArgs` go before the script (e.g. --cpu-prof).
 */
async function startServer(scratch, { extraEnv = {}, nodeArgs = [], logFile } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], {
    env: {
      ...process.env,
      ...scratch.secrets,
      APP_ENV: 'production',
      // Production requires SMTP; the benchmarks seed verified users and never send mail.
      SMTP_URL: 'smtp://127.0.0.1:1',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: scratch.dbUrl,
      DATA_DIR: scratch.dataDir,
      STORAGE_DRIVER: 'fs',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      MAX_FILES_PER_USER: '1000000',
      USER_QUOTA_BYTES: String(10 ** 15),
      DAILY_DOWNLOAD_LIMIT: String(10 ** 9),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...extraEnv,
    },
    // The server logs (pino) to stdout: kept in `logFile` when given.
    stdio: ['ignore', logFile ? fs.openSync(logFile, 'a') : 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  const server = {
    child,
    port,
    baseUrl,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      scratch.server = undefined;
    },
  };
  scratch.server = server;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/api/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

/**
 * An access token exactly as AccessTokenService issues it (HS256, issuer "coffer"). The server
 * refuses a token without `sid`, the login (refresh-token family) it belongs to: pass one made by
 * `insertLogin`.
 */
function forgeAccessToken(secrets, userId, tokenVersion = 0, sid = undefined) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: userId, ver: tokenVersion, ...(sid ? { sid } : {}), iat, exp: iat + 3600, iss: 'coffer' })}`;
  return `${body}.${createHmac('sha256', secrets.JWT_SECRET).update(body).digest('base64url')}`;
}

/**
 * A live login of the user for a day: a refresh-token family with one live refresh token (a family
 * without one is deleted by the server's cleanup job, ending its access tokens). Returns the
 * family id, an access token's `sid`.
 */
async function insertLogin(db, userId) {
  const { rows } = await db.query(`INSERT INTO refresh_token_families (id, user_id, expires_at) VALUES (gen_random_uuid(), $1, now() + interval '1 day') RETURNING id::text AS id`, [userId]);
  await db.query(`INSERT INTO refresh_tokens (id, family_id, token_hash, idle_expires_at) VALUES (gen_random_uuid(), $1, $2, now() + interval '1 day')`, [rows[0].id, randomBytes(32).toString('hex')]);
  return rows[0].id;
}

function ownerPrefix(secrets, userId) {
  return `usrh-${createHmac('sha256', secrets.USER_ID_HASH_SECRET).update(userId).digest('hex').slice(0, 32)}`;
}

/** A verified user row with the given password hash; returns its id and e-mail. */
async function insertUser(db, passwordHash = 'bench') {
  const id = randomUUID();
  const email = `${id}@bench.example`;
  await db.query(
    `INSERT INTO users (id, email, password_hash, verified_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
    [id, email, passwordHash],
  );
  return { id, email };
}

/**
 * `count` uploaded files of `blobBytes` each (rows only; no objects), spread over the past year as
 * a long-lived account would have them, with the user's and the service's counters to match.
 * Returns the ids, newest first.
 */
async function seedUploadedFiles(db, secrets, userId, count, blobBytes) {
  const { rows } = await db.query(
    `INSERT INTO files (id, user_id, file_name, mime_type, status, object_key, declared_size, reserved_bytes,
                        encrypted_size_bytes, plaintext_size_bytes, key_management_mode, upload_expires_at,
                        completed_at, size_verified_at, created_at, updated_at)
     SELECT s.id, $1, 'seed-' || s.g || '.bin', 'application/octet-stream', 'uploaded', $2 || '/' || s.id, $3::bigint, $3::bigint,
            $3::bigint, $3::bigint - 32, 'vault', s.at + interval '15 minutes', s.at, s.at + interval '2 hours', s.at, s.at
     FROM (SELECT gen_random_uuid() AS id, g, now() - (g || ' minutes')::interval * 5 AS at FROM generate_series(1, $4::int) g) s
     RETURNING id::text AS id`,
    [userId, ownerPrefix(secrets, userId), blobBytes, count],
  );
  await db.query('UPDATE users SET used_bytes = used_bytes + $2, file_count = file_count + $3 WHERE id = $1', [userId, count * blobBytes, count]);
  await db.query('UPDATE storage_usage SET used_bytes = used_bytes + $1 WHERE id = 1', [count * blobBytes]);
  return rows.map((r) => r.id);
}

/**
 * `count` pending uploads of `blobBytes` each, as presign leaves them (quota reserved), with their
 * objects already written under DATA_DIR/blobs as the PUT would: ready for `complete`.
 */
async function seedPendingUploads(db, scratch, userId, count, blobBytes) {
  const prefix = ownerPrefix(scratch.secrets, userId);
  const { rows } = await db.query(
    `INSERT INTO files (id, user_id, file_name, mime_type, status, object_key, declared_size, reserved_bytes,
                        upload_expires_at, created_at, updated_at)
     SELECT s.id, $1, 'pending.bin', 'application/octet-stream', 'pending', $2 || '/' || s.id, $3::bigint, $3::bigint,
            now() + interval '1 hour', now(), now()
     FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $4::int)) s
     RETURNING id::text AS id`,
    [userId, prefix, blobBytes, count],
  );
  await db.query('UPDATE users SET reserved_bytes = reserved_bytes + $2, file_count = file_count + $3 WHERE id = $1', [userId, count * blobBytes, count]);
  await db.query('UPDATE storage_usage SET reserved_bytes = reserved_bytes + $1 WHERE id = 1', [count * blobBytes]);
  const dir = path.join(scratch.dataDir, 'blobs', prefix);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const blob = randomBytes(blobBytes);
  for (const { id } of rows) fs.writeFileSync(path.join(dir, id), blob);
  return rows.map((r) => r.id);
}

function writeJson(file, data) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const target = path.join(OUT_DIR, file);
  fs.writeFileSync(target, `${JSON.stringify(data, null, 2)}\n`);
  return target;
}

/** Runs `main`, cleaning up on SIGINT/SIGTERM too; exits 1 with the error on failure. */
function runMain(tool, main, cleanup) {
  const onSignal = (signal) => {
    console.error(`${tool}: ${signal}, cleaning up`);
    Promise.resolve(cleanup()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main().then(
    (code) => process.exit(code ?? 0),
    async (err) => {
      console.error(`${tool}: ${err.stack || err}`);
      await Promise.resolve(cleanup()).catch(() => undefined);
      process.exit(1);
    },
  );
}

module.exports = {
  MAIN_JS,
  Client,
  adminDatabaseUrl,
  createScratch,
  forgeAccessToken,
  insertLogin,
  insertUser,
  ownerPrefix,
  requireBuild,
  runMain,
  seedPendingUploads,
  seedUploadedFiles,
  startServer,
  writeJson,
};
