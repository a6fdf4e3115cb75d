#!/usr/bin/env node
// A plain node:http PUT of a file, no encryption: 1 MiB positional reads into four reused buffers,
// each written when read and waiting for 'drain' as `coffer upload` does. With curl -T beside it,
// it separates what a Node sender costs from what Coffer's encryption costs.
//   node bench/lib/node-put.js URL FILE
'use strict';
const http = require('node:http');
const { openSync, readSync, fstatSync } = require('node:fs');

const [url, file] = process.argv.slice(2);
const fd = openSync(file, 'r');
const size = fstatSync(fd).size;
const request = http.request(new URL(url), { method: 'PUT', headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } });
request.once('error', (error) => {
  console.error(error.message);
  process.exit(1);
});
request.once('response', (res) => {
  res.resume();
  res.once('end', () => process.exit(res.statusCode === 200 ? 0 : 1));
});

async function send() {
  // A buffer is read into again only after the socket has taken what it held.
  const free = Array.from({ length: 4 }, () => Buffer.allocUnsafeSlow(1024 * 1024));
  const freed = [];
  for (let offset = 0; offset < size; ) {
    while (free.length === 0) await new Promise((resolve) => freed.push(resolve));
    const buffer = free.pop();
    const length = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
    offset += length;
    const writtenAll = request.write(buffer.subarray(0, length), () => {
      free.push(buffer);
      freed.shift()?.();
    });
    if (!writtenAll) await new Promise((resolve) => request.once('drain', resolve));
  }
  request.end();
}

void send();
