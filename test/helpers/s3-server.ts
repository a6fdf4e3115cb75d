import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, S3ObjectStore, type StoreClock } from '@coffer/storage';
import { installMultipartExtension, type KoaApp } from './s3rver-multipart';

/** The part of @20minutes/s3rver (untyped JavaScript) this helper uses. */
interface S3rverInstance extends KoaApp {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Talks to this server; carries the bucket-path workaround below. */
  client: S3Client;
  /** A store on this server's bucket (or on another, e.g. a missing one). */
  store(options?: { bucket?: string; clock?: StoreClock }): S3ObjectStore;
  stop(): Promise<void>;
}

/**
 * Starts an in-process S3 server (the maintained s3rver fork, which, like S3 and MinIO, verifies
 * SigV4 signatures and the signed Content-Length) on a random loopback port, with one bucket.
 */
export async function startS3Server(): Promise<S3TestServer> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package ships no types
  const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
  const bucket = 'coffer-test';
  // The fork's built-in account; it refuses any other key.
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  // s3rver's continuation tokens only accept this region.
  const region = 'us-east-1';

  const directory = await mkdtemp(join(tmpdir(), 'coffer-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  // The fork lacks ListParts, AbortMultipartUpload and ListMultipartUploads (see the extension).
  installMultipartExtension(server, directory);
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = createS3Client({ endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: true });
  addBucketPathSlashWorkaround(client);

  return {
    endpoint,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    client,
    store: (options = {}) => new S3ObjectStore({ bucket: options.bucket ?? bucket, client, clock: options.clock }),
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The fork answers bucket-level requests whose path ends in `/` (the SDK sends `/bucket/?list-type=2`,
 * `POST /bucket/?delete`, `HEAD /bucket/`) with a signature error. Real S3 and MinIO accept them,
 * so this stays in the test helper. It runs at the build step, before signing.
 */
export function addBucketPathSlashWorkaround(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path?: unknown };
      if (typeof request.path === 'string' && /^\/[^/]+\/$/.test(request.path)) {
        request.path = request.path.slice(0, -1);
      }
      return next(args);
    },
    { step: 'build', name: 'cofferS3rverBucketPathSlash' },
  );
}
