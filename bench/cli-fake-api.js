// A stand-in for the Coffer API in client benchmarks: just enough of docs/API.md for `coffer upload`
// and `coffer decrypt`, with the blob bytes going to (and coming from) bench/http-sink.js, so the
// run measures the client and not the server or storage. It keeps one account's keys (GET/PUT
// /api/keys, issue 16) for the life of the bench process, so a device that pinned the account key
// once (`pinAccountKey`) uploads with no password and no Argon2id, as a real one does.
'use strict';
const http = require('node:http');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { randomUUID } = require('node:crypto');
const { spawn } = require('node:child_process');

const OWNER = 'usrh-00000000000000000000000000000000';
/** One encrypted frame (docs/FORMAT.md): parts are whole frames. */
const FRAME_BYTES = 65_568;
/** The account's user id: the CLI reads it from the access token's `sub` (account keys are per user id). */
const USER_ID = '00000000-0000-4000-8000-0000000000be';
/** The account keys PUT by the CLI (shared by every fake API of this process, like one server's database). */
let accountKeys;

/**
 * Starts the fake API on a random loopback port.
 * @param {{ sinkUrl?: string, meta?: object, putUrl?: (fileId: string, size: number) => Promise<string>, getUrl?: (fileId: string) => Promise<string>, multipart?: object }} options
 *   `meta`: the answer of GET /files/meta (decrypt runs); `putUrl`/`getUrl`: presigned URLs of real
 *   storage (e.g. the S3 test server) instead of the sink. `multipart`: an S3 target
 *   (bench/lib/s3-target.js) and `partFrames` (default 128, as the server): a presign that asks for
 *   multipart gets a plan of whole frames and parts go to that target (docs/API.md "Multipart
 *   uploads"); without it every presign answers a single PUT, as a server below its threshold.
 * @returns {Promise<{ url: string, completed: object[], close(): Promise<void> }>}
 */
function startFakeApi({ sinkUrl, meta, putUrl, getUrl, multipart }) {
  const completed = [];
  const uploads = new Map(); // file id → { key, uploadId, plan }
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle().catch((error) => {
      console.error(`fake API: ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error.message, code: 'INTERNAL' }));
    }));
    const handle = async () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const send = (status, value, headers = {}) => {
        const text = value === undefined ? '' : JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      };
      const path = new URL(req.url, 'http://x').pathname;
      if (req.method === 'POST' && path === '/api/files/presign' && body.multipart === true && multipart) {
        const fileId = randomUUID();
        const partSize = FRAME_BYTES * (multipart.partFrames ?? 128);
        const partCount = Math.max(1, Math.ceil(body.size / partSize));
        const plan = { part_size: partSize, part_count: partCount, last_part_size: body.size - (partCount - 1) * partSize, expires_at: new Date(Date.now() + 900_000).toISOString() };
        const key = `coffer/${fileId}`;
        uploads.set(fileId, { key, uploadId: await multipart.target.createMultipart(key), plan });
        return send(200, { file_id: fileId, multipart: plan });
      }
      if (path === '/api/files/parts' && req.method === 'POST') {
        const upload = uploads.get(body.file_id);
        if (!upload) return send(404, { error: 'no such upload', code: 'NOT_FOUND' });
        const expires_at = new Date(Date.now() + 900_000).toISOString();
        const parts = [];
        for (const n of body.part_numbers) {
          const size = n === upload.plan.part_count ? upload.plan.last_part_size : upload.plan.part_size;
          parts.push({ part_number: n, url: await multipart.target.presignPart(upload.key, upload.uploadId, n, size), method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, size, expires_at });
        }
        return send(200, { parts, expires_at });
      }
      if (path === '/api/files/parts' && req.method === 'GET') {
        const upload = uploads.get(new URL(req.url, 'http://x').searchParams.get('id'));
        if (!upload) return send(404, { error: 'no such upload', code: 'NOT_FOUND' });
        const stored = await multipart.target.listParts(upload.key, upload.uploadId);
        const parts = stored.map((p) => ({ part_number: p.PartNumber, size: p.Size, etag: p.ETag.replace(/"/g, '') }));
        return send(200, { file_id: new URL(req.url, 'http://x').searchParams.get('id'), ...upload.plan, state: 'uploading', parts });
      }
      if (req.method === 'POST' && path === '/api/files/complete' && uploads.has(body.file_id)) {
        const upload = uploads.get(body.file_id);
        await multipart.target.completeMultipart(upload.key, upload.uploadId, body.parts);
        uploads.delete(body.file_id);
        completed.push(body);
        return send(200, { s3_object_key: `${OWNER}/${body.file_id}`, uploaded_file_size: 0 });
      }
      if (req.method === 'POST' && path === '/api/files/presign') {
        const fileId = randomUUID();
        const url = putUrl ? await putUrl(fileId, body.file_size_bytes ?? body.size ?? body.encrypted_size_bytes) : `${sinkUrl}/put/${fileId}`;
        return send(200, {
          file_id: fileId,
          upload_resource: { url, method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, expires_at: new Date(Date.now() + 900_000).toISOString() },
        });
      }
      if (path === '/api/keys' && req.method === 'GET') {
        return accountKeys ? send(200, accountKeys) : send(404, { error: 'no account keys yet', code: 'NOT_FOUND' });
      }
      if (path === '/api/keys' && req.method === 'PUT') {
        if (body.version !== (accountKeys?.version ?? 0)) return send(409, { error: 'stale version', code: 'KEY_VERSION_CONFLICT' });
        accountKeys = { public_key: body.public_key, bundle: body.bundle, version: body.version + 1, updated_at: new Date().toISOString() };
        return send(200, { version: accountKeys.version });
      }
      if (req.method === 'POST' && path === '/api/files/complete') {
        completed.push(body);
        return send(200, { s3_object_key: `${OWNER}/${body.file_id}`, uploaded_file_size: 0 });
      }
      if (req.method === 'DELETE' && path === '/api/files') {
        const id = new URL(req.url, 'http://x').searchParams.get('id');
        const upload = uploads.get(id);
        if (upload) {
          await multipart.target.abortMultipart(upload.key, upload.uploadId).catch(() => undefined);
          uploads.delete(id);
        }
        return send(204);
      }
      const download = /^\/files\/(download|meta)\/[^/]+\/([^/]+)$/.exec(path);
      if (download && download[1] === 'meta' && meta) return send(200, meta);
      if (download && download[1] === 'download') {
        if (req.method === 'HEAD') return send(200);
        return send(303, undefined, { location: getUrl ? await getUrl(download[2]) : `${sinkUrl}/get/${download[2]}` });
      }
      send(404, { error: 'not in the fake API', code: 'NOT_FOUND' });
    };
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        owner: OWNER,
        completed,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

/** An unsigned JWT-shaped token: the CLI only reads its `exp` to decide when to refresh. */
function fakeAccessToken(ttlSec = 86_400) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: USER_ID, exp: Math.floor(Date.now() / 1000) + ttlSec })}.x`;
}

/** Points the CLI state in `home` at the fake API, signed in (0600 credentials, as the CLI writes them). */
function signInTo(home, apiUrl) {
  writeFileSync(join(home, 'credentials.json'), JSON.stringify({ server: apiUrl, email: 'bench@example.com', access_token: fakeAccessToken(), refresh_token: 'unused' }), { mode: 0o600 });
}

/**
 * The device's first use of the account key against this fake API (pins are per server URL): one
 * `coffer keys init` with the vault password (creates the key pair on the first call of the
 * process, unwraps it with Argon2id on later ones) and pins it in `home`/keys.json. Uploads after
 * this need no password. Throws if the CLI refuses.
 */
function pinAccountKey(cli, home, apiUrl, password = 'bench vault password') {
  // Asynchronous: the fake API answering it runs in this process.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'keys', 'init'], { env: { ...process.env, COFFER_HOME: home, COFFER_SERVER: apiUrl, COFFER_VAULT_PASSWORD: password }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`coffer keys init failed (${code}): ${stderr}`))));
  });
}

/** Environment of a timed `coffer upload` on a pinned device: no vault password anywhere. */
function pinnedEnv(home, apiUrl) {
  return { COFFER_HOME: home, COFFER_SERVER: apiUrl, COFFER_VAULT_PASSWORD: '' };
}

/** A fresh, empty `COFFER_HOME` (0700). */
function freshHome(home) {
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

module.exports = { startFakeApi, fakeAccessToken, signInTo, freshHome, pinAccountKey, pinnedEnv, OWNER, USER_ID };
