import { NONCE_PREFIX_SIZE } from '../crypto/blob-format';
import { toBase64Url, toHex, type Bytes } from '../crypto/bytes';
import { blobSize, encryptBlob, keyCommitment, randomBytes } from '../crypto/encrypt';
import { encryptMetadata } from '../crypto/encrypt-metadata';
import { decryptMetadata } from '../crypto/metadata-record';
import { createKeyBundle, parseKeyBundle, sealFileKey, serializeKeyBundle, unsealFileKey, unwrapWithPassword, type AccountKeyPair } from '../crypto/account-keys';
import { abortReason, api, ApiError, putBlob, userId, type PresignedPut } from './api';
import { sendParts, type MultipartPlan, type SentParts } from './multipart-upload';

/** A row of `GET /api/files/all`. */
export interface FileRow {
  file_id: string;
  file_name: string;
  encrypted_size_bytes: number;
  status: 'pending' | 'uploaded' | 'failed';
  created_at: string;
  sealed_key: string | null;
  encrypted_metadata: string | null;
}

/** A row with what the unlocked key reveals. */
export interface OwnedFile extends FileRow {
  name: string;
  size?: number;
  /** The DEK, when the account key opens the sealed key. */
  dek?: Bytes;
}

export interface Usage {
  used_bytes: number;
  reserved_bytes: number;
  quota_bytes: number;
  file_count: number;
  max_files: number;
  max_file_size_bytes: number;
}

/** `false` when the account has no key pair yet. */
export async function unlock(password: string): Promise<AccountKeyPair | false> {
  let keys: { bundle: string };
  try {
    keys = await api<{ bundle: string }>('GET', '/api/keys');
  } catch (error) {
    if ((error as { code?: string }).code === 'NOT_FOUND') return false;
    throw error;
  }
  return unwrapWithPassword(parseKeyBundle(keys.bundle), userId(), password);
}

/** As `coffer keys init`: a fresh pair wrapped with the vault password, stored as version 0 → 1. */
export async function createAccountKey(password: string): Promise<AccountKeyPair> {
  const { bundle, pair } = await createKeyBundle(userId(), password);
  await api('PUT', '/api/keys', { public_key: bundle.public_key, bundle: serializeKeyBundle(bundle), version: 0 });
  return pair;
}

/** The files, their real names decrypted client-side (names of Coffer uploads are in the record). */
export async function listFiles(pair: AccountKeyPair): Promise<OwnedFile[]> {
  const rows = await api<FileRow[]>('GET', '/api/files/all');
  return Promise.all(
    rows.map(async (row): Promise<OwnedFile> => {
      if (!row.sealed_key) return { ...row, name: row.file_name };
      try {
        const dek = await unsealFileKey(row.sealed_key, row.file_id, pair);
        if (!row.encrypted_metadata) return { ...row, name: row.file_name, dek };
        const metadata = await decryptMetadata(row.encrypted_metadata, dek, row.file_id);
        return { ...row, name: metadata.name, size: metadata.size, dek };
      } catch {
        return { ...row, name: `${row.file_name} (key does not open)` };
      }
    }),
  );
}

export type UploadPhase = 'encrypting' | 'uploading' | 'finishing';

/** Where an upload is: `done` of `total` bytes of the phase (plaintext while encrypting, blob bytes while uploading). */
export interface UploadProgress {
  phase: UploadPhase;
  done: number;
  total: number;
}

/** Parts of a multipart upload in flight at once, as the CLI's default `--parallel`. */
export const PARALLEL_PARTS = 4;

/** What the page needs to know from a presign answer. */
interface PresignAnswer {
  file_id: string;
  upload_resource?: PresignedPut;
  multipart?: MultipartPlan;
}

/**
 * Encrypts in the browser and uploads as the CLI does (apps/cli/src/lib/upload-file.ts): neutral
 * name and empty hash for the server; the real ones, the sealed DEK and the nonce prefix at
 * complete. From the server's MULTIPART_THRESHOLD_BYTES on, the server plans a multipart upload
 * and the parts go `parallel` at a time (multipart-upload.ts); below it, one PUT of the encrypted
 * blob. Aborting `signal`, and any failure, discards the upload on the server (its parts and its
 * reservation): the page keeps no state to resume from, so nothing is left behind.
 */
export async function uploadFile(
  file: File,
  pair: AccountKeyPair,
  onProgress: (progress: UploadProgress) => void,
  options: { signal?: AbortSignal; parallel?: number } = {},
): Promise<string> {
  const signal = options.signal ?? new AbortController().signal;
  const dek = randomBytes(32);
  const size = blobSize(file.size);
  const presigned = await api<PresignAnswer>('POST', '/api/files/presign', {
    file_name: 'encrypted',
    mime_type: 'application/octet-stream',
    size,
    multipart: true,
  });
  const fileId = presigned.file_id;
  let completeSent = false;
  try {
    let sent: { sha256: string; noncePrefix: Bytes; commitment: string; parts?: SentParts['parts'] };
    if (presigned.multipart) {
      const noncePrefix = randomBytes(NONCE_PREFIX_SIZE);
      let done = 0;
      onProgress({ phase: 'uploading', done, total: size });
      const parts = await sendParts({
        file,
        fileId,
        plan: presigned.multipart,
        dek,
        noncePrefix,
        parallel: options.parallel ?? PARALLEL_PARTS,
        signal,
        onSent: (delta) => onProgress({ phase: 'uploading', done: (done += delta), total: size }),
      });
      sent = { ...parts, noncePrefix, commitment: await keyCommitment(dek, noncePrefix) };
    } else if (presigned.upload_resource) {
      const encrypted = await encryptBlob(file, dek, { onProgress: (done) => onProgress({ phase: 'encrypting', done, total: file.size }), signal });
      if (encrypted.plaintextSize !== file.size) throw new Error('The file changed while it was read; upload it again.');
      await putBlob(presigned.upload_resource, encrypted.blob, (done) => onProgress({ phase: 'uploading', done, total: size }), signal);
      sent = encrypted;
    } else {
      throw new Error('The server answered no upload URL.');
    }
    if (signal.aborted) throw abortReason(signal);
    onProgress({ phase: 'finishing', done: size, total: size });
    const request = {
      file_id: fileId,
      plaintext_hash: '',
      plaintext_size_bytes: file.size,
      passphrase_salt: '',
      key_commitment: sent.commitment,
      sealed_key: await sealFileKey(dek, fileId, pair.publicKey),
      encrypted_metadata: await encryptMetadata({ name: file.name || 'unnamed', media_type: file.type || 'application/octet-stream', sha256: sent.sha256, size: file.size }, dek, fileId),
      nonce_prefix: toHex(sent.noncePrefix),
      ...(sent.parts ? { parts: sent.parts } : {}),
    };
    completeSent = true;
    // A multipart completion still joining parts answers 202: the same request again until 200.
    while ((await api<{ status?: string }>('POST', '/api/files/complete', request)).status === 'completing') await new Promise((resolve) => setTimeout(resolve, COMPLETE_RETRY_MS));
    return fileId;
  } catch (error) {
    // A completion whose answer was lost may have recorded the file: it stays (the list shows it).
    const completionUnknown = completeSent && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500);
    if (!completionUnknown) await deleteFile(fileId).catch(() => undefined);
    throw error;
  }
}

/** Retry-After of a 202 from complete (docs/API.md route 13). */
const COMPLETE_RETRY_MS = 5_000;

/** `PUBLIC_URL/s/<owner segment>/<file id>#<key>`: the key only in the fragment, never sent. */
export async function webLink(file: OwnedFile): Promise<string> {
  if (!file.dek) throw new Error('This file has no key on the server; share it with the CLI (coffer share).');
  const [details] = await api<Array<{ s3_key: string }>>('GET', `/api/files?id=${file.file_id}`);
  if (!details) throw new Error('The file is gone');
  return `${location.origin}/s/${details.s3_key}#${toBase64Url(file.dek)}`;
}

export async function deleteFile(fileId: string): Promise<void> {
  await api('DELETE', `/api/files?id=${fileId}`);
}

export const usage = () => api<Usage>('GET', '/api/user/usage');
