#!/usr/bin/env node
// Peak RSS and time of `coffer upload` of a large file in parts (issue 19), against a stand-in API
// that plans multipart uploads like the real one (parts of MULTIPART_PART_FRAMES frames, raised to
// stay within 10,000 parts) and a sink in this process that discards the part bodies (answering an
// ETag). Measures the client only. BENCH_MODE=passphrase (default): the coffer binary in
// passphrase mode, whose Argon2id (64 MiB, once, before the upload) is part of its peak;
// BENCH_MODE=vault: vault mode on a server without account keys through the tests' cheap-KDF entry
// (1 MiB Argon2id for the vault), so the peak is the upload's own.
// Usage: node bench/multipart-upload-rss.js [size-GiB=10] [parallel=4] [file]
//   The file defaults to a sparse file of that size in the system temp dir (reads cost no disk).
'use strict';
const http = require('node:http');
const { spawn } = require('node:child_process');
const { randomUUID, createHash } = require('node:crypto');
const { closeSync, mkdtempSync, openSync, readFileSync, rmSync, ftruncateSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { signInTo, freshHome } = require('./cli-fake-api');

const GiB = 1024 ** 3;
const FRAME = 65_568;
const sizeGiB = Number(process.argv[2] ?? 10);
const parallel = Number(process.argv[3] ?? 4);
const MODE = process.env.BENCH_MODE ?? 'passphrase';
const CLI = join(__dirname, '..', 'apps', 'cli', MODE === 'vault' ? join('test', 'coffer-fast-kdf.js') : join('bin', 'coffer.js'));

function blobSize(p) {
  return p + 32 * Math.max(1, Math.ceil(p / 65_536));
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-mp-rss-'));
  let file = process.argv[4];
  if (!file) {
    file = join(dir, 'big.bin');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, Math.round(sizeGiB * GiB));
    closeSync(fd);
  }
  const plaintext = Math.round(sizeGiB * GiB);
  let partBytes = 0;
  let partsReceived = 0;
  const uploads = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/part/')) {
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => {
        partBytes += n;
        partsReceived++;
        res.writeHead(200, { etag: `"${createHash('md5').update(url.pathname + n).digest('hex')}"` }).end();
      });
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const send = (status, value) => {
        const text = value === undefined ? '' : JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const expires = new Date(Date.now() + 900_000).toISOString();
      if (req.method === 'POST' && url.pathname === '/api/files/presign') {
        let frames = 128;
        while (Math.ceil(body.size / (frames * FRAME)) > 10_000) frames++;
        const partSize = frames * FRAME;
        const count = Math.ceil(body.size / partSize);
        const fileId = randomUUID();
        uploads.set(fileId, { partSize, count, size: body.size });
        return send(200, { file_id: fileId, multipart: { part_size: partSize, part_count: count, last_part_size: body.size - (count - 1) * partSize, expires_at: expires } });
      }
      if (req.method === 'POST' && url.pathname === '/api/files/parts') {
        const u = uploads.get(body.file_id);
        const base = `http://127.0.0.1:${server.address().port}`;
        return send(200, {
          expires_at: expires,
          parts: body.part_numbers.map((n) => ({ part_number: n, url: `${base}/part/${body.file_id}/${n}`, method: 'PUT', headers: {}, size: n === u.count ? u.size - (u.count - 1) * u.partSize : u.partSize, expires_at: expires })),
        });
      }
      if (req.method === 'POST' && url.pathname === '/api/files/complete') {
        return send(200, { s3_object_key: `usrh-0/${body.file_id}`, uploaded_file_size: uploads.get(body.file_id).size });
      }
      if (req.method === 'DELETE') return send(204);
      if (url.pathname === '/api/keys') return send(405, { error: 'no account keys here', code: 'METHOD_NOT_ALLOWED' });
      send(404, { error: 'not in the fake API', code: 'NOT_FOUND' });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const api = `http://127.0.0.1:${server.address().port}`;
  const home = freshHome(join(dir, 'home'));
  signInTo(home, api);

  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'upload', file, ...(MODE === 'vault' ? [] : ['--passphrase']), '--parallel', String(parallel), '--json'], {
    env: { PATH: process.env.PATH, HOME: home, COFFER_HOME: home, COFFER_SERVER: api, COFFER_PASSPHRASE: 'a bench passphrase of some length', COFFER_VAULT_PASSWORD: 'bench vault password' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise((r) => child.once('close', r));
  const seconds = (performance.now() - started) / 1000;
  server.close();
  const peakKiB = Number(stderr.trim().split('\n').pop());
  if (code !== 0) throw new Error(`coffer exited ${code}: ${stderr}`);
  if (partBytes !== blobSize(plaintext)) throw new Error(`sink got ${partBytes} bytes, expected ${blobSize(plaintext)}`);
  console.log(JSON.stringify({ mode: MODE, size_gib: sizeGiB, parallel, parts: partsReceived, seconds: +seconds.toFixed(1), mb_per_s: +(plaintext / 1e6 / seconds).toFixed(0), peak_rss_mb: +(peakKiB / 1024).toFixed(1), load: readFileSync('/proc/loadavg', 'utf8').trim() }));
  JSON.parse(stdout);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
