#!/usr/bin/env node
// A stand-in for the Coffer API's share-link routes plus a blob server that takes byte ranges
// (issue 19's download bench), in its own process so serving does not share the bench's thread:
//   GET  /files/meta/{owner}/{id}             RANGE_META (JSON) as given
//   HEAD /files/download/{owner}/{id}         200
//   GET  /files/download/{owner}/{id}         303 → blob URL (the stock path)
//   POST /files/download/{owner}/{id}/session 201 {session, url, ...}
//   POST …/session/url                        200 {url, ...}
//   GET  /blob/<name>                          RANGE_FILES[name], with Range (206) or whole (200)
// The blob URL is RANGE_BLOB_URL when given (e.g. a presigned S3 GET), else /blob/coffer at the
// host the request was addressed to (its Host header): through a throttling proxy in front of this
// server, the blob is fetched through the proxy too. Prints "listening <port>".
'use strict';
const http = require('node:http');
const { createReadStream, statSync } = require('node:fs');

const meta = JSON.parse(process.env.RANGE_META ?? '{}');
const files = JSON.parse(process.env.RANGE_FILES ?? '{}');
const SESSION = 'b'.repeat(43);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const blobUrl = process.env.RANGE_BLOB_URL || `http://${req.headers.host ?? `127.0.0.1:${server.address().port}`}/blob/coffer`;
  const json = (status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const later = (s) => new Date(Date.now() + s * 1000).toISOString();
  if (url.pathname.startsWith('/files/meta/')) return json(200, meta);
  if (url.pathname.startsWith('/files/download/')) {
    req.resume();
    if (req.method === 'HEAD') return res.writeHead(200).end();
    if (req.method === 'GET') return res.writeHead(303, { location: blobUrl, 'content-length': 0 }).end();
    if (url.pathname.endsWith('/session')) return json(201, { session: SESSION, expires_at: later(86400), url: blobUrl, url_expires_at: later(7200), size: meta.encrypted_size_bytes });
    if (url.pathname.endsWith('/session/url')) return json(200, { url: blobUrl, url_expires_at: later(7200), expires_at: later(86400) });
  }
  if (url.pathname.startsWith('/blob/') && files[url.pathname.slice(6)]) {
    const path = files[url.pathname.slice(6)];
    const size = statSync(path).size;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
      return createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res);
    }
    const start = Number(m[1]);
    const end = Math.min(size - 1, m[2] === '' ? size - 1 : Number(m[2]));
    res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
    return createReadStream(path, { start, end, highWaterMark: 1 << 20 }).pipe(res);
  }
  json(404, { error: 'no such route', code: 'NOT_FOUND' });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
