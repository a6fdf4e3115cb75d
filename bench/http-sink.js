#!/usr/bin/env node
// A throw-away HTTP server for client benchmarks: it isolates the client from any real storage.
//   PUT/POST <any path>  reads and discards the body, answers 200 with {"bytes": n, "ms": t}
//                        (t = first to last body byte, as measured here)
//   GET <any path>       streams the file named by SINK_GET_FILE (e.g. a blob for decrypt runs)
//   HEAD <any path>      200
// Usage: SINK_PORT=0 SINK_GET_FILE=/tmp/blob node bench/http-sink.js   → prints "listening <port>"
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const getFile = process.env.SINK_GET_FILE;
const server = http.createServer((req, res) => {
  if (req.method === 'PUT' || req.method === 'POST') {
    let bytes = 0;
    let first = 0;
    req.on('data', (chunk) => {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
    });
    req.on('end', () => {
      const body = JSON.stringify({ bytes, ms: bytes ? performance.now() - first : 0 });
      // One line per upload on stdout, for the benchmark driver.
      process.stdout.write(`put ${body}\n`);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(200).end();
    return;
  }
  if (req.method === 'GET' && getFile) {
    const { size } = fs.statSync(getFile);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    fs.createReadStream(getFile, { highWaterMark: 1024 * 1024 }).pipe(res);
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(process.env.SINK_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
