import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { aesGcmImplementation, blobSize, deriveKeyFromPassphrase, encrypt, encryptMetadata, FileChangedError, newSalt, prestartEncryptWorker, randomDek, sealFileKey, type Vault } from '@coffer/crypto';
import type { CofferApi, CompleteAnswer, CompleteRequest } from './coffer-api';
import type { Context } from './context';
import { onInterrupt } from './cleanup';
import { CliError } from './errors';
import { validateUploadName } from './file-name';
import { formatBytes } from './format';
import { networkFailure } from './http-errors';
import { putStream } from './http-transfer';
import { guessMimeType } from './mime';
import { isMultipart, MultipartApi } from './multipart-api';
import { resumeMultipart, startMultipart, type MultipartFile } from './multipart-upload';
import { findRecord } from './resume-record';
import { rememberNames } from './name-cache';
import { startProgress } from './progress';
import { buildShareLink } from './share-link';
import type { UploadKeying, UploadResult } from './upload-types';
import { vaultFailure } from './vault-access';

export type { UploadKeying, UploadResult } from './upload-types';

/** The name and media type the server is told when the real ones travel encrypted. */
export const NEUTRAL_NAME = 'encrypted';
export const NEUTRAL_MEDIA_TYPE = 'application/octet-stream';


const COMPLETE_RETRIES_MS = [250, 500, 1000, 2000, 4000];

/**
 * Below this many blob bytes the server is not asked for a multipart upload: a multipart upload
 * needs parts of at least 5 MiB, and a server that does not know the option is spared it.
 */
const MULTIPART_MIN_BYTES = 5 * 1024 * 1024 + 1;

export interface UploadTuning {
  /** Parts in flight at once (multipart uploads). */
  parallel: number;
}

/**
 * Encrypts and uploads one file (presign → streamed PUT while the key is saved → complete) and
 * returns its share link. The vault entry is written before the upload is completed, so no failure
 * after the upload can leave a file whose key is lost; if it cannot be written, the PUT is aborted.
 */
export async function uploadFile(
  ctx: Context,
  api: CofferApi,
  path: string,
  keying: UploadKeying,
  name: string | undefined,
  tuning: UploadTuning = { parallel: 4 },
): Promise<UploadResult> {
  const fileName = validateUploadName(name ?? basename(path));
  const what = `upload of ${path}`;
  const size = await regularFileSize(path, what);
  // Files with an encrypted metadata record tell the server nothing about the plaintext.
  const hidden = keying.mode === 'passphrase' || keying.seal !== undefined;
  const mediaType = guessMimeType(fileName);
  const multipartFile: MultipartFile = { path, sourcePath: resolve(path), fileName, mediaType, hidden, keying, parallel: tuning.parallel };
  // A pending upload of this file started by this device is continued, not started again.
  const pending = await findRecord(ctx, api.baseUrl, multipartFile.sourcePath);
  if (pending) {
    const resumed = await resumeMultipart(ctx, api, multipartFile, pending);
    if (resumed) return resumed;
  }
  // A large file is read and hashed on a worker thread: its start-up overlaps the presign (and a
  // passphrase's key derivation).
  prestartEncryptWorker(size);

  let dek: Buffer;
  let passphraseSalt = '';
  if (keying.mode === 'passphrase') {
    const salt = newSalt();
    dek = await deriveKeyFromPassphrase(keying.passphrase, salt, ctx.kdf.passphrase, { bounds: ctx.kdf.bounds });
    passphraseSalt = salt.toString('base64');
  } else {
    dek = randomDek();
  }

  const encryptedSize = blobSize(size);
  const shownName = hidden ? NEUTRAL_NAME : fileName;
  const shownType = hidden ? NEUTRAL_MEDIA_TYPE : mediaType;
  // The source's identity as the resume record keeps it, taken before the server plans anything.
  const sourceInfo = encryptedSize >= MULTIPART_MIN_BYTES ? await stat(path) : undefined;
  const answer = sourceInfo ? await new MultipartApi(api).presign(shownName, shownType, encryptedSize, what) : await api.presign(shownName, shownType, encryptedSize, what);
  if (isMultipart(answer)) {
    return startMultipart(ctx, api, multipartFile, answer, { dek, passphraseSalt }, { size, mtimeMs: sourceInfo!.mtimeMs });
  }
  const presigned = answer;
  const fileId = presigned.file_id;
  ctx.out.debug(`${path}: file id ${fileId}, ${formatBytes(size)} → ${formatBytes(encryptedSize)} encrypted (${aesGcmImplementation()})`);

  const abort = new AbortController();
  let keyRecorded: Promise<Vault | undefined> = Promise.resolve(undefined);
  // Once, whoever asks first: a failure below, or an interruption (Ctrl-C, SIGTERM) meanwhile.
  let discarded: Promise<void> | undefined;
  const discard = () => (discarded ??= discardUpload(ctx, api, fileId, keyRecorded));
  const forgetInterrupt = onInterrupt(() => {
    abort.abort(new CliError(`${what} was interrupted`));
    return discard();
  });
  try {
    if (keying.mode === 'vault' && keying.vault?.isNew) {
      // A new vault is created only once the server accepted the upload, and before the progress
      // bar, which its notice would cut.
      await keying.vault.open().catch(async (error: unknown) => {
        await discard();
        throw error;
      });
    }
    let input: FileHandle;
    try {
      input = await open(path, 'r');
    } catch (error) {
      await discard();
      throw new CliError(`${what} failed: ${(error as Error).message}`, 'Check the path.');
    }
    // Exactly the size declared at presign is read.
    const blob = encrypt({ fd: input.fd, size }, dek);
    // The vault unlock (Argon2id) may still be running: the ciphertext is sent meanwhile.
    keyRecorded =
      keying.mode !== 'vault' || !keying.vault
        ? Promise.resolve(undefined)
        : keying.seal
          ? recordKeyBestEffort(ctx, keying, fileId, dek, blob.commitment)
          : recordKey(keying.vault.open(), fileId, dek, blob.commitment, abort, ctx.vaultDir);
    keyRecorded.catch(() => undefined);
    try {
      const progress = startProgress(ctx, fileName.length > 24 ? `${fileName.slice(0, 23)}…` : fileName, encryptedSize);
      let putError: unknown;
      try {
        await putBlob(presigned.upload_resource, encryptedSize, blob, (n) => progress.advance(n), what, abort.signal);
      } catch (error) {
        // The blob would disagree with the size declared at presign.
        putError = error instanceof FileChangedError ? new CliError(`${path} changed while it was read (${error.bytesRead} of ${size} bytes)`, 'Upload it again once it no longer changes.') : error;
      }
      progress.stop();
      const recorded = await keyRecorded.then(
        (vault) => ({ vault }),
        (error: unknown) => ({ error }),
      );
      if (putError !== undefined || 'error' in recorded) {
        await discard();
        // A failed vault is the cause when it aborted the PUT.
        throw 'error' in recorded ? recorded.error : putError;
      }
    } finally {
      await input.close();
    }
    const { sha256, plaintextSize } = await blob.result;

    const completed = await completeWithRetry(
      api,
      {
        file_id: fileId,
        plaintext_hash: hidden ? '' : sha256,
        plaintext_size_bytes: plaintextSize,
        passphrase_salt: passphraseSalt,
        key_commitment: blob.commitment,
        kdf_params: keying.mode === 'passphrase' ? { ...ctx.kdf.passphrase } : undefined,
        sealed_key: keying.mode === 'vault' && keying.seal ? sealFileKey(dek, fileId, keying.seal.publicKey) : undefined,
        encrypted_metadata: hidden ? encryptMetadata({ name: fileName, media_type: mediaType, sha256, size: plaintextSize }, dek, fileId) : undefined,
        // Public (the blob's first bytes): lets a downloader check a key before the counted download.
        nonce_prefix: Buffer.from(blob.noncePrefix).toString('hex'),
      },
      what,
    );
    if (hidden) await rememberNames(ctx, { [fileId]: fileName });
    const server = api.baseUrl;
    return {
      path,
      file_id: fileId,
      file_name: fileName,
      link: buildShareLink(server, completed.s3_object_key),
      mode: keying.mode,
      size_bytes: plaintextSize,
      encrypted_size_bytes: completed.uploaded_file_size,
      plaintext_sha256: sha256,
      sealed: keying.mode === 'vault' && keying.seal !== undefined,
    };
  } finally {
    forgetInterrupt();
  }
}

/** The size of the regular file at `path`; one that is missing, unreadable or not a file is a CliError naming `what`. */
export async function regularFileSize(path: string, what: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (!info.isFile()) throw new CliError(`${what} failed: not a regular file`, 'Give the path of a file (directories are not uploaded).');
    return info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new CliError(`${what} failed: ${reason}`, 'Check the path.');
  } finally {
    await handle?.close();
  }
}

/**
 * Records the key in the local vault too, for the stock Hashdrop client; the sealed key is the one
 * that counts, so a vault that cannot be opened costs a warning, not the upload.
 */
async function recordKeyBestEffort(ctx: Context, keying: Extract<UploadKeying, { seal: object }>, fileId: string, dek: Buffer, commitment: string): Promise<Vault | undefined> {
  try {
    const vault = await keying.vault!.open();
    await vault.put(fileId, dek, commitment);
    return vault;
  } catch (error) {
    if (!keying.vaultWarned) {
      keying.vaultWarned = true;
      const failure = vaultFailure(error, ctx.vaultDir);
      const reason = failure instanceof Error ? failure.message : String(failure);
      ctx.out.warn(`the key was not recorded in the local vault (${reason}); it is sealed to your account key on the server, and \`coffer keys sync\` copies it into the vault later`);
    }
    return undefined;
  }
}

/** Opens the vault (awaiting its unlock) and records the key; on failure aborts the upload. */
async function recordKey(pending: Promise<Vault>, fileId: string, dek: Buffer, commitment: string, abort: AbortController, vaultDir: string): Promise<Vault> {
  try {
    const vault = await pending;
    await vault.put(fileId, dek, commitment).catch((error: unknown) => {
      throw vaultFailure(error, vaultDir);
    });
    return vault;
  } catch (error) {
    abort.abort(error);
    throw error;
  }
}

async function putBlob(
  resource: { url: string; method?: string; headers?: Record<string, string> },
  contentLength: number,
  body: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
  what: string,
  signal: AbortSignal,
): Promise<void> {
  if (resource.method && resource.method.toUpperCase() !== 'PUT') {
    throw new CliError(`${what} failed: the server asked for an upload method this client does not support (${resource.method})`, 'Update coffer.');
  }
  let answer;
  try {
    answer = await putStream(resource.url, {
      headers: mergeHeaders({ 'content-type': 'application/octet-stream' }, resource.headers ?? {}),
      contentLength,
      body,
      onBytes,
      signal,
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw networkFailure(error, resource.url, what, 'Check your network; the storage URL comes from the server, whose operator may need to fix S3_PUBLIC_ENDPOINT.') ?? error;
  }
  if (answer.status < 200 || answer.status > 299) {
    const reason =
      answer.status === 403 ? 'storage refused the upload (expired or invalid upload URL)' : answer.status === 413 ? 'storage refused the upload as too large' : `storage answered HTTP ${answer.status}`;
    throw new CliError(`${what} failed: ${reason}`, 'Try again; run with --verbose for details.', undefined, { cause: answer.body });
  }
}

/** Header maps merged case-insensitively (later wins): a header sent twice would break an S3 signature. */
export function mergeHeaders(...maps: Record<string, string>[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const map of maps) for (const [name, value] of Object.entries(map)) merged[name.toLowerCase()] = value;
  return merged;
}

async function completeWithRetry(api: CofferApi, request: CompleteRequest, what: string): Promise<CompleteAnswer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await api.tryComplete(request, what);
    if (answer) return answer;
    // 409: storage does not show the object yet (eventual consistency); the row stays pending.
    const delay = COMPLETE_RETRIES_MS[attempt];
    if (delay === undefined) {
      throw new CliError(`${what} failed: the server does not see the uploaded object yet`, `Upload the file again later (file id ${request.file_id}).`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Best effort: a file whose upload failed or was interrupted is deleted, so it does not hold quota
 * until it expires, and its key (once recorded) leaves the vault.
 */
async function discardUpload(ctx: Context, api: CofferApi, fileId: string, keyRecorded: Promise<Vault | undefined>): Promise<void> {
  try {
    await api.deleteFile(fileId, 'discarding the failed upload');
  } catch (error) {
    ctx.out.debug(`could not discard pending file ${fileId}: ${(error as Error).message}`);
  }
  const vault = await keyRecorded.catch(() => undefined);
  await vault?.remove(fileId).catch(() => undefined);
}
