import type * as wire from '@coffer/contract';
import { MAX_PART_URLS_PER_REQUEST } from '@coffer/contract';
import type { CofferApi, CompleteAnswer, CompleteRequest, PresignAnswer } from './coffer-api';
import { CliError } from './errors';
import type { ErrorAnswer } from './http-errors';

/** Presign's answer to a client that asked for a multipart upload: either shape. */
export type MultipartOrSingle = PresignAnswer | wire.MultipartPresignResponse;

export function isMultipart(answer: MultipartOrSingle): answer is wire.MultipartPresignResponse {
  return 'multipart' in answer && typeof answer.multipart === 'object' && answer.multipart !== null;
}

/** The upload is gone on the server (aborted, expired, deleted, completed elsewhere): start over. */
export class UploadGone extends CliError {
  override readonly name = 'UploadGone';
}

/** Complete found parts missing or different in storage: re-upload them and complete again. */
export class PartsToResend extends CliError {
  override readonly name = 'PartsToResend';
}

/** The server refused the completed upload for good (over quota, over a limit); it is aborted. */
export class UploadRefused extends CliError {
  override readonly name = 'UploadRefused';
}

/** Retry-After of a 202 of complete, in ms, within sane bounds. */
const COMPLETE_POLL_DEFAULT_MS = 5_000;

/** The multipart calls of docs/API.md ("Multipart uploads [ext]"). */
export class MultipartApi {
  constructor(private readonly api: CofferApi) {}

  /** Presign asking for multipart; a server under its threshold answers the single-PUT shape. */
  presign(fileName: string, mimeType: string, size: number, what: string): Promise<MultipartOrSingle> {
    const body: wire.PresignRequest = { file_name: fileName, mime_type: mimeType, size, multipart: true };
    return this.api.client.call<MultipartOrSingle>('POST', '/api/files/presign', { what, auth: true, body });
  }

  /** Presigned URLs of `partNumbers` (any number of them, asked for in pages). */
  async partUrls(fileId: string, partNumbers: number[], what: string): Promise<wire.PartUrl[]> {
    const urls: wire.PartUrl[] = [];
    for (let start = 0; start < partNumbers.length; start += MAX_PART_URLS_PER_REQUEST) {
      const body: wire.PartUrlsRequest = { file_id: fileId, part_numbers: partNumbers.slice(start, start + MAX_PART_URLS_PER_REQUEST) };
      const answer = await this.api.client.call<wire.PartUrlsResponse>('POST', '/api/files/parts', { what, auth: true, body, onError: goneErrors(what) });
      urls.push(...answer.parts);
    }
    return urls;
  }

  /** What storage holds of the upload now. */
  uploadedParts(fileId: string, what: string): Promise<wire.UploadedPartsResponse> {
    return this.api.client.call<wire.UploadedPartsResponse>('GET', `/api/files/parts?id=${encodeURIComponent(fileId)}`, { what, auth: true, onError: goneErrors(what) });
  }

  /** Completes, repeating the same request while the server answers 202 (the join still runs). */
  async complete(request: CompleteRequest & { parts: wire.CompletedPartRef[] }, what: string): Promise<CompleteAnswer> {
    for (;;) {
      const response = await this.api.client.call<CompleteAnswer | wire.CompleteAccepted>('POST', '/api/files/complete', {
        what,
        auth: true,
        body: request,
        ok: [200, 202],
        onError: completeErrors(what),
      });
      if (!('status' in response && response.status === 'completing')) return response as CompleteAnswer;
      await new Promise((resolve) => setTimeout(resolve, COMPLETE_POLL_DEFAULT_MS));
    }
  }
}

function goneErrors(what: string): Partial<Record<wire.ErrorCode, (answer: ErrorAnswer) => CliError>> {
  return {
    NOT_FOUND: () => new UploadGone(`${what}: the server no longer has this upload (aborted, expired or deleted)`, 'Run the command again to start over.'),
    UPLOAD_COMPLETING: () => new CliError(`${what}: the upload is being completed`, 'Run the command again in a minute.'),
  };
}

function completeErrors(what: string): Partial<Record<wire.ErrorCode, (answer: ErrorAnswer) => CliError>> {
  const refused = (answer: ErrorAnswer) =>
    new UploadRefused(`${what} failed: the file is over the per-file limit, its declared size or your quota${answer.body?.error ? ` (${answer.body.error})` : ''}`, 'See `coffer usage`.');
  const resend = (answer: ErrorAnswer) => new PartsToResend(`${what}: storage does not hold every part as sent${answer.body?.error ? ` (${answer.body.error})` : ''}`);
  return {
    ...goneErrors(what),
    FILE_TOO_LARGE: refused,
    UPLOAD_OVER_QUOTA: refused,
    UPLOAD_INCOMPLETE: resend,
    PART_MISMATCH: resend,
  };
}
