// A stand-in for the Coffer API in client benchmarks: just enough of docs/API.md for `coffer upload`
// and `coffer decrypt`, with the blob bytes going to (and coming from) bench/http-sink.js, so the
// run measures the client and not the server or storage.
'use strict';
const http = require('node:http');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { randomUUID } = require('node:crypto');

const OWNER = 'usrh-00000000000000000000000000000000';

/**
 * Starts the fake API on a random loopback port.
 * @param {{ sinkUrl?: string, meta?: object, putUrl?: (fileId: string, size: number) => Promise<string>, getUrl?: (fileId: string) => Promise<string> }} options
 *   `meta`: the answer of GET /files/meta (decrypt runs); `putUrl`/`getUrl`: presigned URLs of real
 *   storage (e.g. the S3 test server) instead of the sink.
 * @returns {Promise<{ url: string, completed: object[], close(): Promise<void> }>}
 */
function startFakeApi({ sinkUrl, meta, putUrl, getUrl }) {
  const completed = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const send = (status, value, headers = {}) => {
        const text = value === undefined ? '' : JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      };
      const path = new URL(req.url, 'http://x').pathname;
      if (req.method === 'POST' && path === '/api/files/presign') {
        const fileId = randomUUID();
        const url = putUrl ? await putUrl(fileId, body.file_size_bytes ?? body.size ?? body.encrypted_size_bytes) : `${sinkUrl}/put/${fileId}`;
        return send(200, {
          file_id: fileId,
          upload_resource: { url, method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, expires_at: new Date(Date.now() + 900_000).toISOString() },
        });
      }
      if (req.method === 'POST' && path === '/api/files/complete') {
        completed.push(body);
        return send(200, { s3_object_key: `${OWNER}/${body.file_id}`, uploaded_file_size: 0 });
      }
      if (req.method === 'DELETE' && path === '/api/files') return send(204);
      const download = /^\/files\/(download|meta)\/[^/]+\/([^/]+)$/.exec(path);
      if (download && download[1] === 'meta' && meta) return send(200, meta);
      if (download && download[1] === 'download') {
        if (req.method === 'HEAD') return send(200);
        return send(303, undefined, { location: getUrl ? await getUrl(download[2]) : `${sinkUrl}/get/${download[2]}` });
      }
      send(404, { error: 'not in the fake API', code: 'NOT_FOUND' });
    });
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
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'bench', exp: Math.floor(Date.now() / 1000) + ttlSec })}.x`;
}

/** Points the CLI state in `home` at the fake API, signed in (0600 credentials, as the CLI writes them). */
function signInTo(home, apiUrl) {
  writeFileSync(join(home, 'credentials.json'), JSON.stringify({ server: apiUrl, email: 'bench@example.com', access_token: fakeAccessToken(), refresh_token: 'unused' }), { mode: 0o600 });
}

/** A fresh, empty `COFFER_HOME` (0700). */
function freshHome(home) {
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

module.exports = { startFakeApi, fakeAccessToken, signInTo, freshHome, OWNER };
