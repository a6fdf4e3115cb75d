#!/usr/bin/env node
// The S3 test server of the bench (@20minutes/s3rver, the fork that verifies SigV4 and the signed
// Content-Length), as its own process so its CPU is not the client's. Prints "listening <port>".
// It gets the tests' multipart extension (test/helpers/s3rver-multipart.ts: ListParts,
// AbortMultipartUpload, ListMultipartUploads; not its completion checks, see below), transpiled here.
//   S3RVER_DIR=/tmp/x node bench/s3rver-server.js      (bucket "bench", keys S3RVER/S3RVER)
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const ts = require('typescript');
const S3rver = require('@20minutes/s3rver');

function loadTs(path) {
  const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const m = new Module(path, module);
  m.filename = path;
  m.paths = Module._nodeModulePaths(join(path, '..'));
  m._compile(outputText, path);
  return m.exports;
}

const { installMultipartExtension } = loadTs(join(__dirname, '..', 'test', 'helpers', 's3rver-multipart.ts'));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR, configureBuckets: [{ name: 'bench' }] });
installMultipartExtension(server, process.env.S3RVER_DIR);
// Completion stays the fork's own (it joins the named parts): the extension's ETag check refuses
// rclone's completions (rclone names the MD5 it computed of each part, which differs from the
// fork's for its signed-chunk uploads), and the bench measures clients, not S3's checks.
const extension = server.middleware[server.middleware.length - 2];
server.middleware[server.middleware.length - 2] = (ctx, next) =>
  ctx.method === 'POST' && 'uploadId' in ctx.query ? next() : extension(ctx, next);
server.run().then((address) => process.stdout.write(`listening ${address.port}\n`));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
