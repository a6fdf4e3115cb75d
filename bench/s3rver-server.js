#!/usr/bin/env node
// The S3 test server of the bench (@20minutes/s3rver, the fork that verifies SigV4 and the signed
// Content-Length), as its own process so its CPU is not the client's. Prints "listening <port>".
//   S3RVER_DIR=/tmp/x node bench/s3rver-server.js      (bucket "bench", keys S3RVER/S3RVER)
'use strict';
const S3rver = require('@20minutes/s3rver');

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR, configureBuckets: [{ name: 'bench' }] });
server.run().then((address) => process.stdout.write(`listening ${address.port}\n`));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
