import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Real S3's multipart answers where the s3rver fork has none or a weaker one, installed on the
 * test server only (production code talks to S3 or MinIO and carries none of this):
 * - ListParts, AbortMultipartUpload and ListMultipartUploads (the fork answers NotImplemented or
 *   MethodNotAllowed);
 * - UploadPart to an upload that does not exist, or exists for another key: NoSuchUpload (the
 *   fork silently recreates the upload's directory);
 * - CompleteMultipartUpload checks what S3 checks before joining (the fork joins whatever files
 *   exist): NoSuchUpload, InvalidPartOrder, InvalidPart (missing part or other etag),
 *   EntityTooSmall (a part but the last under 5 MiB); then the fork joins the named parts.
 * Requests still pass the fork's own SigV4 check first. The calls work over the fork's own
 * storage layout: `<directory>/<bucket>/._S3rver_uploads/<upload id>/{key,metadata,<n>,<n>.md5}`.
 * Paging is S3's (markers, 1000 per page), ordered by key then upload id.
 */

/** The parts of @20minutes/s3rver (untyped JavaScript, Koa underneath) this extension touches. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  params: Record<string, string | undefined>;
  status: number;
  body: unknown;
  request: { body?: unknown };
}
type Middleware = (ctx: KoaContext, next: () => Promise<unknown>) => Promise<unknown>;
export interface KoaApp {
  middleware: Middleware[];
}
type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

const MIN_PART_BYTES = 5 * 1024 * 1024;
const PAGE = 1000;

export function installMultipartExtension(server: KoaApp, directory: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the package ships no types */
  const S3Error = require('@20minutes/s3rver/lib/models/error') as S3ErrorConstructor;
  const authentication = (require('@20minutes/s3rver/lib/middleware/authentication') as () => Middleware)();
  const { xmlBodyParser } = require('@20minutes/s3rver/lib/utils') as { xmlBodyParser: (ctx: KoaContext) => Promise<void> };
  /* eslint-enable @typescript-eslint/no-require-imports */

  const uploadsDir = (bucket: string) => join(directory, bucket, '._S3rver_uploads');
  const noSuchUpload = (uploadId: string) =>
    new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });

  async function uploadKey(bucket: string, uploadId: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) return undefined;
    return readFile(join(uploadsDir(bucket), uploadId, 'key'), 'utf8').catch(() => undefined);
  }

  async function requireUpload(bucket: string, key: string, uploadId: string): Promise<string> {
    if ((await uploadKey(bucket, uploadId)) !== key) throw noSuchUpload(uploadId);
    return join(uploadsDir(bucket), uploadId);
  }

  async function partsOf(uploadDir: string): Promise<{ partNumber: number; size: number; etag: string; lastModified: Date }[]> {
    const parts = [];
    for (const name of await readdir(uploadDir)) {
      if (!/^\d+$/.test(name)) continue;
      const info = await stat(join(uploadDir, name));
      const md5 = await readFile(join(uploadDir, `${name}.md5`), 'utf8').catch(async () =>
        createHash('md5').update(await readFile(join(uploadDir, name))).digest('hex'),
      );
      parts.push({ partNumber: Number(name), size: info.size, etag: md5, lastModified: info.mtime });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  const handlers: { match: (ctx: KoaContext, key: string | undefined) => boolean; run: (ctx: KoaContext, bucket: string, key: string) => Promise<unknown> }[] = [
    {
      // ListMultipartUploads
      match: (ctx, key) => ctx.method === 'GET' && key === undefined && 'uploads' in ctx.query,
      run: async (ctx, bucket) => {
        const prefix = single(ctx.query.prefix) ?? '';
        const keyMarker = single(ctx.query['key-marker']) ?? '';
        const uploadIdMarker = single(ctx.query['upload-id-marker']) ?? '';
        const max = Math.min(Number(single(ctx.query['max-uploads']) ?? PAGE), PAGE);
        const uploads = [];
        for (const uploadId of await readdir(uploadsDir(bucket)).catch(() => [] as string[])) {
          const key = await uploadKey(bucket, uploadId);
          if (key === undefined || !key.startsWith(prefix)) continue;
          const initiated = (await stat(join(uploadsDir(bucket), uploadId, 'key'))).mtime;
          uploads.push({ key, uploadId, initiated });
        }
        uploads.sort((a, b) => compare(a.key, b.key) || compare(a.uploadId, b.uploadId));
        const after = uploads.filter((u) => (uploadIdMarker === '' ? u.key > keyMarker : u.key > keyMarker || (u.key === keyMarker && u.uploadId > uploadIdMarker)));
        const page = after.slice(0, max);
        const truncated = after.length > page.length;
        const last = page.at(-1);
        ctx.body = {
          ListMultipartUploadsResult: {
            Bucket: bucket,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
            ...(truncated && last ? { NextKeyMarker: last.key, NextUploadIdMarker: last.uploadId } : {}),
            Prefix: prefix,
            MaxUploads: max,
            IsTruncated: truncated,
            Upload: page.map((u) => ({ Key: u.key, UploadId: u.uploadId, Initiated: u.initiated.toISOString(), StorageClass: 'STANDARD' })),
          },
        };
      },
    },
    {
      // ListParts
      match: (ctx, key) => ctx.method === 'GET' && key !== undefined && 'uploadId' in ctx.query,
      run: async (ctx, bucket, key) => {
        const uploadId = single(ctx.query.uploadId) ?? '';
        const uploadDir = await requireUpload(bucket, key, uploadId);
        const marker = Number(single(ctx.query['part-number-marker']) ?? 0);
        const max = Math.min(Number(single(ctx.query['max-parts']) ?? PAGE), PAGE);
        const after = (await partsOf(uploadDir)).filter((p) => p.partNumber > marker);
        const page = after.slice(0, max);
        const truncated = after.length > page.length;
        ctx.body = {
          ListPartsResult: {
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumberMarker: marker,
            ...(truncated ? { NextPartNumberMarker: page.at(-1)?.partNumber } : {}),
            MaxParts: max,
            IsTruncated: truncated,
            Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified.toISOString(), ETag: `"${p.etag}"`, Size: p.size })),
          },
        };
      },
    },
    {
      // AbortMultipartUpload
      match: (ctx, key) => ctx.method === 'DELETE' && key !== undefined && 'uploadId' in ctx.query,
      run: async (ctx, bucket, key) => {
        const uploadDir = await requireUpload(bucket, key, single(ctx.query.uploadId) ?? '');
        await rm(uploadDir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = '';
      },
    },
    {
      // UploadPart: only the existence check; the fork stores the part.
      match: (ctx, key) => ctx.method === 'PUT' && key !== undefined && 'uploadId' in ctx.query,
      run: async (ctx, bucket, key) => {
        await requireUpload(bucket, key, single(ctx.query.uploadId) ?? '');
        const partNumber = Number(single(ctx.query.partNumber));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
          throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber' });
        }
        return 'next';
      },
    },
    {
      // CompleteMultipartUpload: S3's checks, then the fork joins the parts.
      match: (ctx, key) => ctx.method === 'POST' && key !== undefined && 'uploadId' in ctx.query,
      run: async (ctx, bucket, key) => {
        const uploadId = single(ctx.query.uploadId) ?? '';
        const uploadDir = await requireUpload(bucket, key, uploadId);
        await xmlBodyParser(ctx);
        const listed = (ctx.request.body as { CompleteMultipartUpload?: { Part?: unknown } } | undefined)?.CompleteMultipartUpload?.Part;
        if (listed === undefined) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
        const named = ([] as { PartNumber: unknown; ETag: unknown }[]).concat(listed as never).map((p) => ({ number: Number(p.PartNumber), etag: String(p.ETag).replace(/"/g, '') }));
        const stored = new Map((await partsOf(uploadDir)).map((p) => [p.partNumber, p]));
        named.forEach((part, index) => {
          if (index > 0 && part.number <= (named[index - 1]?.number ?? 0)) {
            throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
          }
          const held = stored.get(part.number);
          if (held === undefined || held.etag !== part.etag) {
            throw new S3Error('InvalidPart', "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.", { UploadId: uploadId, PartNumber: part.number, ETag: part.etag });
          }
          if (index < named.length - 1 && held.size < MIN_PART_BYTES) {
            throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', { ProposedSize: held.size, MinSizeAllowed: MIN_PART_BYTES, PartNumber: part.number });
          }
        });
        // The fork's own completion (objectCtrl.completeMultipartUpload) reads the body we consumed.
        const { store } = ctx as unknown as { store: { putObjectMultipart(b: string, u: string, p: { number: number; etag: string }[]): Promise<{ md5: string }> } };
        const { md5 } = await store.putObjectMultipart(bucket, uploadId, named);
        ctx.body = { CompleteMultipartUploadResult: { Location: `/${bucket}/${key}`, Bucket: bucket, Key: key, ETag: JSON.stringify(md5) } };
      },
    },
  ];

  const extension: Middleware = async (ctx, next) => {
    const match = /^\/([^/]+)(?:\/(.+))?$/.exec(ctx.path);
    const bucket = match?.[1];
    const key = match?.[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const handler = bucket === undefined ? undefined : handlers.find((h) => h.match(ctx, key));
    if (bucket === undefined || handler === undefined) return next();
    ctx.params = { ...ctx.params, bucket, key };
    let passOn = false;
    await authentication(ctx, async () => {
      passOn = (await handler.run(ctx, bucket, key ?? '')) === 'next';
    });
    return passOn ? next() : undefined;
  };
  // Before the fork's router (its last middleware), after its XML rendering and error handling.
  server.middleware.splice(server.middleware.length - 1, 0, extension);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
