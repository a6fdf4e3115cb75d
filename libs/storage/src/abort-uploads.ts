import { MultipartUploadError, type MultipartUploadInfo } from './multipart';
import type { ObjectStore } from './object-store';

/**
 * Aborts every multipart upload whose key starts with `prefix` ('' = all) and that `shouldAbort`
 * picks (default: every one), returning how many were aborted. Uploads are invisible to `list`
 * and `deletePrefix`, so deleting a prefix's objects leaves them; this is the other half.
 */
export async function abortMultipartUploads(
  store: ObjectStore,
  prefix: string,
  shouldAbort: (upload: MultipartUploadInfo) => boolean | Promise<boolean> = () => true,
): Promise<number> {
  // Listed first, aborted after: an S3 listing's page markers must not shift under it.
  const uploads: MultipartUploadInfo[] = [];
  for await (const upload of store.listMultipartUploads(prefix)) uploads.push(upload);
  let aborted = 0;
  for (const upload of uploads) {
    if (!(await shouldAbort(upload))) continue;
    try {
      await store.abortMultipartUpload(upload.key, upload.uploadId);
      aborted += 1;
    } catch (err) {
      // Completed or aborted meanwhile: nothing left to abort.
      if (!(err instanceof MultipartUploadError && err.code === 'NO_SUCH_UPLOAD')) throw err;
    }
  }
  return aborted;
}
