import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  type DeleteObjectsCommandOutput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { contentDisposition } from './content-disposition';
import { MultipartUploadError } from './multipart';
import { createS3Client, S3ObjectStore } from './s3-object-store';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const fixedClock = { now: () => new Date('2026-03-04T05:06:07Z') };
const config = {
  endpoint: 'http://minio:9000',
  publicEndpoint: 'https://files.example.com',
  region: 'eu-west-3',
  bucket: 'vault',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret',
  forcePathStyle: true,
};

describe('S3ObjectStore presigning (no network)', () => {
  const store = S3ObjectStore.fromConfig(config, fixedClock);

  it('signs a PUT against the public endpoint with the length and content type as signed headers', async () => {
    const put = await store.presignPut('usrh-aaaa/f1', { contentLength: 1234, expiresInSec: 900 });
    const url = new URL(put.url);

    expect(url.origin + url.pathname).toBe('https://files.example.com/vault/usrh-aaaa/f1');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260304T050607Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(put).toMatchObject({
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      expiresAt: new Date('2026-03-04T05:21:07Z'),
    });
  });

  it('signs no checksum into the PUT URL', async () => {
    const put = await store.presignPut('usrh-aaaa/f1', { contentLength: 1234, expiresInSec: 900 });

    expect(put.url.toLowerCase()).not.toContain('checksum');
  });

  it('leaves the length unsigned when none is given', async () => {
    const put = await store.presignPut('usrh-aaaa/f1', { expiresInSec: 60 });

    expect(new URL(put.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
  });

  it('asks S3 to answer a GET as an octet-stream attachment with the exact file name', async () => {
    const filename = "résumé 'final' *.pdf";

    const get = await store.presignGet('usrh-aaaa/f1', { expiresInSec: 120, filename });
    const url = new URL(get.url);

    expect(url.searchParams.get('response-content-disposition')).toBe(contentDisposition(filename));
    expect(url.searchParams.get('response-content-type')).toBe('application/octet-stream');
    // SigV4 escapes every reserved character, `'` and `*` included (s3rver does not).
    expect(url.search).toContain("filename%2A%3DUTF-8%27%27r%25C3%25A9sum%25C3%25A9%2520%2527final%2527%2520%252A.pdf");
    expect(get).toMatchObject({ method: 'GET', headers: {}, expiresAt: new Date('2026-03-04T05:08:07Z') });
  });

  it('signs against the server endpoint when there is no public one', async () => {
    const internal = S3ObjectStore.fromConfig({ ...config, publicEndpoint: undefined }, fixedClock);

    const get = await internal.presignGet('usrh-aaaa/f1', { expiresInSec: 60 });

    expect(get.url).toMatch(/^http:\/\/minio:9000\/vault\/usrh-aaaa\/f1\?/);
  });

  it.each([0, 604_801, 1.5])('refuses expiresInSec %p', async (expiresInSec) => {
    await expect(store.presignGet('k', { expiresInSec })).rejects.toThrow(RangeError);
  });

  it('signs a part PUT with its upload, part number and length', async () => {
    const put = await store.presignUploadPart('usrh-aaaa/f1', 'upload-1', { partNumber: 3, contentLength: 5_242_880, expiresInSec: 900 });
    const url = new URL(put.url);

    expect(url.origin + url.pathname).toBe('https://files.example.com/vault/usrh-aaaa/f1');
    expect(url.searchParams.get('uploadId')).toBe('upload-1');
    expect(url.searchParams.get('partNumber')).toBe('3');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect([...url.searchParams.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
    expect(put).toMatchObject({ method: 'PUT', expiresAt: new Date('2026-03-04T05:21:07Z') });
  });

  it('refuses a negative content length', async () => {
    await expect(store.presignPut('k', { contentLength: -1, expiresInSec: 60 })).rejects.toThrow(RangeError);
  });
});

describe('createS3Client', () => {
  it('wants both credentials or neither', () => {
    expect(() => createS3Client({ region: 'us-east-1', forcePathStyle: false, accessKeyId: 'x' })).toThrow(RangeError);
  });
});

/** A strict stand-in for S3Client.send: each call must be expected by the test. */
function fakeClient(handlers: {
  list?: (input: ListObjectsV2Command['input']) => Partial<ListObjectsV2CommandOutput>;
  deleteObjects?: (input: DeleteObjectsCommand['input']) => Partial<DeleteObjectsCommandOutput>;
  head?: (input: HeadObjectCommand['input']) => unknown;
}): S3Client {
  return {
    send: async (command: unknown) => {
      if (command instanceof ListObjectsV2Command && handlers.list) {
        return handlers.list(command.input);
      }
      if (command instanceof DeleteObjectsCommand && handlers.deleteObjects) {
        return handlers.deleteObjects(command.input);
      }
      if (command instanceof HeadObjectCommand && handlers.head) {
        return handlers.head(command.input);
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  } as unknown as S3Client;
}

describe('S3ObjectStore.deletePrefix', () => {
  const keys = Array.from({ length: 2500 }, (_, i) => `usrh-aaaa/${String(i).padStart(4, '0')}`);

  /** Pages of 1000 with opaque continuation tokens, like S3. */
  function listPage(input: ListObjectsV2Command['input']): Partial<ListObjectsV2CommandOutput> {
    const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken.replace('token-', ''));
    const page = keys.filter((key) => key.startsWith(input.Prefix ?? '')).slice(start, start + 1000);
    const next = start + page.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      IsTruncated: next < keys.length,
      NextContinuationToken: next < keys.length ? `token-${next}` : undefined,
    };
  }

  it('follows continuation tokens and deletes in batches of at most 1000', async () => {
    const batches: string[][] = [];
    const store = new S3ObjectStore({
      bucket: 'vault',
      client: fakeClient({
        list: listPage,
        deleteObjects: (input) => {
          batches.push((input.Delete?.Objects ?? []).map((object) => object.Key ?? ''));
          expect(input.Delete?.Quiet).toBe(true);
          return {};
        },
      }),
    });

    expect(await store.deletePrefix('usrh-aaaa/')).toBe(2500);
    expect(batches.map((batch) => batch.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat()).toEqual(keys);
  });

  it('fails when S3 reports keys it could not delete', async () => {
    const store = new S3ObjectStore({
      bucket: 'vault',
      client: fakeClient({
        list: () => ({ Contents: [{ Key: 'usrh-aaaa/1' }, { Key: 'usrh-aaaa/2' }], IsTruncated: false }),
        deleteObjects: () => ({ Errors: [{ Key: 'usrh-aaaa/2', Code: 'AccessDenied' }] }),
      }),
    });

    await expect(store.deletePrefix('usrh-aaaa/')).rejects.toThrow('failed to delete 1 of 2 objects: usrh-aaaa/2 (AccessDenied)');
  });

  it('fails on a truncated page without a continuation token instead of stopping early', async () => {
    const store = new S3ObjectStore({
      bucket: 'vault',
      client: fakeClient({ list: () => ({ Contents: [], IsTruncated: true }), deleteObjects: () => ({}) }),
    });

    await expect(store.deletePrefix('usrh-aaaa/')).rejects.toThrow('continuation token');
  });

  it('returns 0 without calling DeleteObjects when nothing matches', async () => {
    const store = new S3ObjectStore({ bucket: 'vault', client: fakeClient({ list: () => ({ IsTruncated: false }) }) });

    expect(await store.deletePrefix('usrh-zzzz/')).toBe(0);
  });
});

describe('S3ObjectStore.head', () => {
  it('rethrows errors other than not-found', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const store = new S3ObjectStore({
      bucket: 'vault',
      client: fakeClient({
        head: () => {
          throw denied;
        },
      }),
    });

    await expect(store.head('usrh-aaaa/1')).rejects.toBe(denied);
  });
});

describe('S3ObjectStore multipart listings', () => {
  function clientAnswering(answer: (command: unknown) => unknown): S3Client {
    return { send: async (command: unknown) => answer(command) } as unknown as S3Client;
  }

  it('follows ListParts pages to the end', async () => {
    const inputs: unknown[] = [];
    const client = clientAnswering((command) => {
      const input = (command as ListPartsCommand).input;
      inputs.push(input.PartNumberMarker);
      return input.PartNumberMarker === undefined
        ? { IsTruncated: true, NextPartNumberMarker: '2', Parts: [1, 2].map((n) => ({ PartNumber: n, Size: 5, ETag: `"e${n}"` })) }
        : { IsTruncated: false, Parts: [{ PartNumber: 3, Size: 1, ETag: '"e3"' }] };
    });
    const store = new S3ObjectStore({ bucket: 'b', client });

    expect(await store.listParts('k', 'u')).toEqual([
      { partNumber: 1, size: 5, etag: '"e1"' },
      { partNumber: 2, size: 5, etag: '"e2"' },
      { partNumber: 3, size: 1, etag: '"e3"' },
    ]);
    expect(inputs).toEqual([undefined, '2']);
  });

  it('follows ListMultipartUploads pages by key and upload id markers', async () => {
    const markers: unknown[] = [];
    const client = clientAnswering((command) => {
      const input = (command as ListMultipartUploadsCommand).input;
      markers.push([input.KeyMarker, input.UploadIdMarker, input.Prefix]);
      return input.KeyMarker === undefined
        ? { IsTruncated: true, NextKeyMarker: 'p/a', NextUploadIdMarker: 'u1', Uploads: [{ Key: 'p/a', UploadId: 'u1', Initiated: new Date(1) }] }
        : { IsTruncated: false, Uploads: [{ Key: 'p/b', UploadId: 'u2', Initiated: new Date(2) }] };
    });
    const store = new S3ObjectStore({ bucket: 'b', client });
    const found = [];
    for await (const upload of store.listMultipartUploads('p/')) found.push(upload);

    expect(found).toEqual([
      { key: 'p/a', uploadId: 'u1', initiatedAt: new Date(1) },
      { key: 'p/b', uploadId: 'u2', initiatedAt: new Date(2) },
    ]);
    expect(markers).toEqual([
      [undefined, undefined, 'p/'],
      ['p/a', 'u1', 'p/'],
    ]);
  });

  it("turns S3's refusals into MultipartUploadError and passes other failures on", async () => {
    const failing = (name: string) =>
      new S3ObjectStore({ bucket: 'b', client: clientAnswering(() => Promise.reject(Object.assign(new Error(name), { name }))) });

    await expect(failing('NoSuchUpload').abortMultipartUpload('k', 'u')).rejects.toMatchObject({ code: 'NO_SUCH_UPLOAD' });
    await expect(failing('EntityTooSmall').completeMultipartUpload('k', 'u', [{ partNumber: 1, etag: '"e"' }])).rejects.toMatchObject({
      code: 'PART_TOO_SMALL',
    });
    await expect(failing('InvalidPart').completeMultipartUpload('k', 'u', [{ partNumber: 1, etag: '"e"' }])).rejects.toBeInstanceOf(
      MultipartUploadError,
    );
    await expect(failing('SlowDown').listParts('k', 'u')).rejects.toThrow('SlowDown');
  });
});
