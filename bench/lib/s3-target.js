'use strict';
// The S3 test server of the benchmarks (bench/s3rver-server.js in its own process) with a client
// that presigns PUT and GET URLs for it and empties its bucket between runs.
const { join } = require('node:path');
const { mkdirSync, rmSync } = require('node:fs');
const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand } = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const C = require('./common');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Starts s3rver on a fresh directory; `keep` holds keys that `clean()` leaves in place. */
async function startS3Target(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await C.startServer(join(__dirname, '..', 's3rver-server.js'), { S3RVER_DIR: dir });
  const client = new S3Client({
    endpoint: server.url, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // s3rver refuses bucket-level paths ending in "/" (see shared/STACK.md); bench-only workaround.
  client.middlewareStack.add((next) => async (args) => {
    if (typeof args.request.path === 'string' && /^\/[^/]+\/$/.test(args.request.path)) args.request.path = args.request.path.slice(0, -1);
    return next(args);
  }, { step: 'build', name: 'benchBucketSlash' });
  const keep = new Set();
  return {
    url: server.url,
    pid: server.pid,
    keep,
    presignPut: (key, size) => getSignedUrl(client, new PutObjectCommand({ Bucket: 'bench', Key: key, ContentLength: size }), { expiresIn: 7200 }),
    presignGet: (key) => getSignedUrl(client, new GetObjectCommand({ Bucket: 'bench', Key: key }), { expiresIn: 7200 }),
    list: async (prefix) => (await client.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: prefix }))).Contents ?? [],
    async clean() {
      for (const o of await this.list()) if (!keep.has(o.Key)) await client.send(new DeleteObjectCommand({ Bucket: 'bench', Key: o.Key }));
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

module.exports = { startS3Target };
