import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from './content-disposition';
import {
  assertCompletedParts,
  assertPartLength,
  assertPartNumber,
  assertUploadId,
  MultipartUploadError,
  type CompletedPart,
  type MultipartErrorCode,
  type MultipartUploadInfo,
  type PresignUploadPartOptions,
  type UploadedPart,
} from './multipart';
import { assertValidKey, assertValidPrefix } from './object-key';
import {
  assertContentLength,
  assertExpiresInSec,
  OBJECT_CONTENT_TYPE,
  systemClock,
  type ObjectStore,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type StoreClock,
  type StoredObject,
} from './object-store';

/** How to reach an S3-compatible service (AWS S3, MinIO, R2, …). */
export interface S3ConnectionConfig {
  /** Unset = AWS S3 itself. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither = the SDK's default credential chain (environment, IAM role, …). */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

export interface S3StoreConfig extends S3ConnectionConfig {
  bucket: string;
  /** Endpoint clients use in presigned URLs when it differs from the one the server uses. */
  publicEndpoint?: string;
}

/** A ready client, e.g. one a test has added middleware to. */
export interface S3ObjectStoreClients {
  bucket: string;
  client: S3Client;
  /** Client that signs the URLs handed to clients; defaults to `client`. Presigning needs no network. */
  presignClient?: S3Client;
}

export type S3ObjectStoreOptions = (S3StoreConfig | S3ObjectStoreClients) & { clock?: StoreClock };

/** The largest batch DeleteObjects accepts. */
const DELETE_BATCH_SIZE = 1000;

export function createS3Client(config: S3ConnectionConfig): S3Client {
  const { accessKeyId, secretAccessKey } = config;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new RangeError('set both accessKeyId and secretAccessKey, or neither');
  }
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
    // The default flexible checksums would sign the CRC32 of an empty body into presigned PUTs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export class S3ObjectStore implements ObjectStore {
  private readonly bucket: string;
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly clock: StoreClock;

  static fromConfig(config: S3StoreConfig, clock?: StoreClock): S3ObjectStore {
    return new S3ObjectStore({ ...config, clock });
  }

  /** Either a configuration (the store builds its clients) or ready clients. */
  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.clock = options.clock ?? systemClock;
    if ('client' in options) {
      this.client = options.client;
      this.presignClient = options.presignClient ?? options.client;
    } else {
      this.client = createS3Client(options);
      this.presignClient =
        options.publicEndpoint === undefined ? this.client : createS3Client({ ...options, endpoint: options.publicEndpoint });
    }
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertExpiresInSec(options.expiresInSec);
    assertContentLength(options.contentLength);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: OBJECT_CONTENT_TYPE,
      // Signed into X-Amz-SignedHeaders, so storage refuses a body of any other length.
      ContentLength: options.contentLength,
    });
    // The presigner leaves Content-Type unsigned by default; signing it keeps every stored
    // object application/octet-stream, so nothing in the bucket can be served as HTML.
    return this.presign(command, 'PUT', options.expiresInSec, { 'Content-Type': OBJECT_CONTENT_TYPE }, ['content-type']);
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertExpiresInSec(options.expiresInSec);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: contentDisposition(options.filename),
      ResponseContentType: OBJECT_CONTENT_TYPE,
    });
    return this.presign(command, 'GET', options.expiresInSec, {}, []);
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    assertValidKey(key);
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      if (result.ContentLength === undefined) {
        throw new Error(`HeadObject returned no Content-Length for ${key}`);
      }
      return { size: result.ContentLength };
    } catch (err) {
      if (isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // S3 answers 204 for a missing key too, which makes this idempotent.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    let deleted = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
      for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
        deleted += await this.deleteBatch(keys.slice(start, start + DELETE_BATCH_SIZE));
      }
      // Listing continues after the last key returned, so deleting as we go skips nothing.
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && continuationToken === undefined) {
        throw new Error('ListObjectsV2 returned a truncated page without a continuation token');
      }
    } while (continuationToken !== undefined);
    return deleted;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (prefix !== '') assertValidPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: continuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && continuationToken === undefined) {
        throw new Error('ListObjectsV2 returned a truncated page without a continuation token');
      }
    } while (continuationToken !== undefined);
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw new Error(`bucket ${this.bucket} is not usable: ${errorName(err)}`, { cause: err });
    }
  }

  async createMultipartUpload(key: string): Promise<string> {
    assertValidKey(key);
    const result = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: OBJECT_CONTENT_TYPE }),
    );
    if (result.UploadId === undefined) {
      throw new Error(`CreateMultipartUpload returned no upload id for ${key}`);
    }
    return result.UploadId;
  }

  async presignUploadPart(key: string, uploadId: string, options: PresignUploadPartOptions): Promise<PresignedRequest> {
    assertValidKey(key);
    assertUploadId(uploadId);
    assertPartNumber(options.partNumber);
    assertPartLength(options.contentLength);
    assertExpiresInSec(options.expiresInSec);
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: options.partNumber,
      // Signed into X-Amz-SignedHeaders, so storage refuses a part of any other length.
      ContentLength: options.contentLength,
    });
    // A part takes its media type from the upload; the header is the same as for a single PUT.
    return this.presign(command, 'PUT', options.expiresInSec, { 'Content-Type': OBJECT_CONTENT_TYPE }, []);
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertValidKey(key);
    assertUploadId(uploadId);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    do {
      const page = await this.multipartCall(() =>
        this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })),
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber === undefined || part.Size === undefined || part.ETag === undefined) {
          throw new Error(`ListParts returned an incomplete part for ${key}`);
        }
        parts.push({ partNumber: part.PartNumber, size: part.Size, etag: part.ETag });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      if (page.IsTruncated && marker === undefined) {
        throw new Error('ListParts returned a truncated page without a next marker');
      }
    } while (marker !== undefined);
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    assertValidKey(key);
    assertUploadId(uploadId);
    assertCompletedParts(parts);
    await this.multipartCall(() =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        }),
      ),
    );
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    assertUploadId(uploadId);
    await this.multipartCall(() => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
  }

  async *listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo> {
    if (prefix !== '') assertValidPrefix(prefix);
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix === '' ? undefined : prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        yield { key: upload.Key, uploadId: upload.UploadId, initiatedAt: upload.Initiated ?? new Date(0) };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      if (page.IsTruncated && keyMarker === undefined) {
        throw new Error('ListMultipartUploads returned a truncated page without a next marker');
      }
    } while (keyMarker !== undefined);
  }

  /** Runs one call on an existing upload, turning S3's refusals into MultipartUploadError. */
  private async multipartCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const code = MULTIPART_ERRORS[errorName(err)];
      if (code !== undefined) {
        throw new MultipartUploadError(code, `storage refused the multipart call: ${errorName(err)}`, { cause: err });
      }
      throw err;
    }
  }

  private async presign(
    command: PutObjectCommand | GetObjectCommand | UploadPartCommand,
    method: 'PUT' | 'GET',
    expiresInSec: number,
    headers: Record<string, string>,
    extraSignedHeaders: string[],
  ): Promise<PresignedRequest> {
    const signingDate = this.clock.now();
    const options = { expiresIn: expiresInSec, signingDate, signableHeaders: new Set(extraSignedHeaders) };
    // One call per command type: getSignedUrl's generics do not accept a union of commands.
    const url =
      command instanceof UploadPartCommand
        ? await getSignedUrl(this.presignClient, command, options)
        : command instanceof PutObjectCommand
          ? await getSignedUrl(this.presignClient, command, options)
          : await getSignedUrl(this.presignClient, command, options);
    return { url, method, headers, expiresAt: new Date(signingDate.getTime() + expiresInSec * 1000) };
  }

  private async deleteBatch(keys: string[]): Promise<number> {
    // Quiet mode: S3 lists only the keys it failed to delete.
    const result = await this.client.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const errors = result.Errors ?? [];
    if (errors.length > 0) {
      const sample = errors
        .slice(0, 3)
        .map((error) => `${error.Key ?? '?'} (${error.Code ?? 'unknown error'})`)
        .join(', ');
      throw new Error(`failed to delete ${errors.length} of ${keys.length} objects: ${sample}`);
    }
    return keys.length;
  }
}

/** S3's error codes for a multipart call's refusals (MinIO and R2 use the same names). */
const MULTIPART_ERRORS: Partial<Record<string, MultipartErrorCode>> = {
  NoSuchUpload: 'NO_SUCH_UPLOAD',
  InvalidPart: 'INVALID_PART',
  InvalidPartOrder: 'INVALID_PART_LIST',
  EntityTooSmall: 'PART_TOO_SMALL',
  EntityTooLarge: 'OBJECT_TOO_LARGE',
};

function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
}

// Duck-typed rather than `instanceof Error`, which fails across realms (e.g. inside jest).
function errorName(err: unknown): string {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : String(err);
}
