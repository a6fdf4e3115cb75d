'use strict';
// The S3 test server of the benchmarks (bench/s3rver-server.js in its own process) with a client
// that presigns PUT and GET URLs for it and empties its bucket between runs.
const { join } = require('node:path');
const { existsSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const {
  S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand,
  CreateMultipartUploadCommand, UploadPartCommand, ListPartsCommand, CompleteMultipartUploadCommand, AbortMultipartUploadCommand,
} = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const C = require('./common');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Starts s3rver on a fresh directory; `keep` holds keys that `clean()` leaves in place. URLs are
 * presigned for `publicUrl` when given (e.g. a proxy in front: the host is part of the signature).
 */
async function startS3Target(dir, { publicUrl } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await C.startServer(join(__dirname, '..', 's3rver-server.js'), { S3RVER_DIR: dir });
  const clientFor = (endpoint) => new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const client = clientFor(server.url);
  let signer = publicUrl ? clientFor(publicUrl) : client;
  // s3rver refuses bucket-level paths ending in "/" (see shared/STACK.md); bench-only workaround.
  client.middlewareStack.add((next) => async (args) => {
    if (typeof args.request.path === 'string' && /^\/[^/]+\/$/.test(args.request.path)) args.request.path = args.request.path.slice(0, -1);
    return next(args);
  }, { step: 'build', name: 'benchBucketSlash' });
  const keep = new Set();
  return {
    url: server.url,
    /** From now on, URLs are presigned for `url` (a proxy started after the server). */
    presignFor(url) {
      if (signer !== client) signer.destroy();
      signer = clientFor(url);
    },
    /** Multipart uploads s3rver holds (its own layout): id → finished part numbers. */
    pendingParts() {
      const uploads = join(dir, 'bench', '._S3rver_uploads');
      const out = {};
      for (const id of existsSync(uploads) ? readdirSync(uploads) : []) {
        out[id] = readdirSync(join(uploads, id)).filter((f) => f.endsWith('.md5')).length;
      }
      return out;
    },
    pid: server.pid,
    keep,
    presignPut: (key, size) => getSignedUrl(signer, new PutObjectCommand({ Bucket: 'bench', Key: key, ContentLength: size }), { expiresIn: 7200 }),
    presignGet: (key) => getSignedUrl(signer, new GetObjectCommand({ Bucket: 'bench', Key: key }), { expiresIn: 7200 }),
    // Multipart (the fake API's multipart mode): the part's length is signed into its URL.
    createMultipart: async (key) => (await client.send(new CreateMultipartUploadCommand({ Bucket: 'bench', Key: key }))).UploadId,
    presignPart: (key, uploadId, partNumber, size) => getSignedUrl(signer, new UploadPartCommand({ Bucket: 'bench', Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: size }), { expiresIn: 7200 }),
    listParts: async (key, uploadId) => (await client.send(new ListPartsCommand({ Bucket: 'bench', Key: key, UploadId: uploadId }))).Parts ?? [],
    completeMultipart: (key, uploadId, parts) => client.send(new CompleteMultipartUploadCommand({ Bucket: 'bench', Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.part_number, ETag: p.etag })) } })),
    abortMultipart: (key, uploadId) => client.send(new AbortMultipartUploadCommand({ Bucket: 'bench', Key: key, UploadId: uploadId })),
    list: async (prefix) => (await client.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: prefix }))).Contents ?? [],
    async clean() {
      for (const o of await this.list()) if (!keep.has(o.Key)) await client.send(new DeleteObjectCommand({ Bucket: 'bench', Key: o.Key }));
    },
    async stop() {
      client.destroy();
      if (signer !== client) signer.destroy();
      await server.stop();
    },
  };
}

module.exports = { startS3Target };
