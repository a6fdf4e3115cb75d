import { randomBytes } from 'node:crypto';
import { FsObjectStore } from '@coffer/storage';
import { Clock } from '../../src/common/clock';
import type { TestApp } from '../../../../test/helpers/test-app';
import type { TestUser } from '../../../../test/helpers/users';
import { call, HttpResult } from '../../../../test/helpers/http';

export interface UploadResource {
  url: string;
  method: string;
  headers: Record<string, string>;
  expires_at: string;
}

export interface Presigned {
  file_id: string;
  upload_resource: UploadResource;
}

/** An error body of docs/API.md: `{"error", "code"}`. */
export interface ErrorBody {
  error?: string;
  code?: string;
}

export function presign(t: TestApp, user: TestUser, body: Record<string, unknown>): Promise<HttpResult<Presigned & ErrorBody>> {
  return call<Presigned & ErrorBody>(t, 'POST', '/api/files/presign', { user, body });
}

/** PUTs bytes to a presigned URL exactly as a plain HTTP client would. */
export async function putBlob(resource: Pick<UploadResource, 'url' | 'headers'>, bytes: Uint8Array): Promise<number> {
  const res = await fetch(resource.url, { method: 'PUT', headers: resource.headers, body: bytes });
  await res.arrayBuffer();
  return res.status;
}

export function complete(t: TestApp, user: TestUser, fileId: string, extra: Record<string, unknown> = {}): Promise<HttpResult> {
  return call(t, 'POST', '/api/files/complete', {
    user,
    body: { file_id: fileId, plaintext_hash: '', plaintext_size_bytes: 0, passphrase_salt: '', ...extra },
  });
}

export interface Uploaded {
  fileId: string;
  key: string;
  bytes: Buffer;
}

/** presign (declaring the size) → PUT → complete, asserting each step succeeded. */
export async function uploadFile(
  t: TestApp,
  user: TestUser,
  options: { size?: number; declare?: boolean; name?: string; complete?: Record<string, unknown> } = {},
): Promise<Uploaded> {
  const bytes = randomBytes(options.size ?? 100);
  const p = await presign(t, user, {
    file_name: options.name ?? 'blob.bin',
    mime_type: 'application/octet-stream',
    ...(options.declare === false ? {} : { size: bytes.length }),
  });
  if (p.status !== 200) throw new Error(`presign answered ${p.status}: ${JSON.stringify(p.body)}`);
  const put = await putBlob(p.body.upload_resource, bytes);
  if (put !== 200) throw new Error(`PUT answered ${put}`);
  const c = await complete(t, user, p.body.file_id, { plaintext_size_bytes: Math.max(0, bytes.length - 32), ...options.complete });
  if (c.status !== 200) throw new Error(`complete answered ${c.status}: ${JSON.stringify(c.body)}`);
  return { fileId: p.body.file_id, key: c.body.s3_object_key, bytes };
}

/**
 * Writes an object behind the server's back: through a URL the test signs itself on S3, straight
 * into the fs driver's directory (its HTTP endpoint refuses keys the server does not allow).
 */
export async function overwriteObject(t: TestApp, key: string, bytes: Uint8Array): Promise<void> {
  if (t.store instanceof FsObjectStore) return t.store.receive(key, (async function* () { yield bytes; })(), bytes.length);
  const url = await t.store.presignPut(key, { contentLength: bytes.length, expiresInSec: 60 });
  const status = await putBlob(url, bytes);
  if (status !== 200) throw new Error(`test PUT answered ${status}`);
}

export async function usage(t: TestApp, user: TestUser): Promise<{ used_bytes: number; reserved_bytes: number; file_count: number }> {
  const res = await call(t, 'GET', '/api/user/usage', { user });
  if (res.status !== 200) throw new Error(`usage answered ${res.status}`);
  return res.body;
}

export async function fileRow(t: TestApp, id: string) {
  return t.database.prisma.file.findUnique({ where: { id } });
}

/**
 * Real time plus an offset the test moves forward by hand: unlike `ManualClock` it keeps running,
 * from the real time, so signed URLs stay valid.
 */
export class OffsetClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const STORAGE_DRIVERS = ['fs', 's3'] as const;
