import { toBase64Url, type Bytes } from '../crypto/bytes';
import { blobSize, encryptBlob, randomBytes } from '../crypto/encrypt';
import { encryptMetadata } from '../crypto/encrypt-metadata';
import { decryptMetadata } from '../crypto/metadata-record';
import { createKeyBundle, parseKeyBundle, sealFileKey, serializeKeyBundle, unsealFileKey, unwrapWithPassword, type AccountKeyPair } from '../crypto/account-keys';
import { api, putBlob, userId } from './api';

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

/**
 * Encrypts in the browser and uploads as the CLI does (apps/cli/src/lib/upload-file.ts): neutral
 * name and empty hash for the server; the real ones, the sealed DEK and the nonce prefix at complete.
 */
export async function uploadFile(file: File, pair: AccountKeyPair, onProgress: (phase: UploadPhase, fraction: number) => void): Promise<string> {
  const dek = randomBytes(32);
  const size = blobSize(file.size);
  const presigned = await api<{ file_id: string; upload_resource: { url: string; method?: string; headers?: Record<string, string> } }>('POST', '/api/files/presign', {
    file_name: 'encrypted',
    mime_type: 'application/octet-stream',
    size,
  });
  const encrypted = await encryptBlob(file, dek, { onProgress: (done) => onProgress('encrypting', file.size ? done / file.size : 1) });
  await putBlob(presigned.upload_resource, encrypted.blob, (sent) => onProgress('uploading', size ? sent / size : 1));
  onProgress('finishing', 1);
  const fileId = presigned.file_id;
  await api('POST', '/api/files/complete', {
    file_id: fileId,
    plaintext_hash: '',
    plaintext_size_bytes: encrypted.plaintextSize,
    passphrase_salt: '',
    key_commitment: encrypted.commitment,
    sealed_key: await sealFileKey(dek, fileId, pair.publicKey),
    encrypted_metadata: await encryptMetadata({ name: file.name || 'unnamed', media_type: file.type || 'application/octet-stream', sha256: encrypted.sha256, size: encrypted.plaintextSize }, dek, fileId),
    nonce_prefix: [...encrypted.noncePrefix].map((b) => b.toString(16).padStart(2, '0')).join(''),
  });
  return fileId;
}

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
