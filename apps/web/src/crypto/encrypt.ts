import { createSHA256 } from 'hash-wasm';
import { ascii, concat, toBase64, toHex, type Bytes } from './bytes';
import { CHUNK_SIZE, FRAME_OVERHEAD, HEADER_SIZE, KEY_SIZE, LAST_FRAME_FLAG, MIDDLE_FRAME_FLAG, NONCE_PREFIX_SIZE, NONCE_SIZE } from './blob-format';

/** What a finished encryption hands to `complete` (docs/API.md route 13). */
export interface EncryptedBlob {
  /** The blob as frames; Chromium keeps big Blobs in its blob store (on disk), not in the JS heap. */
  blob: Blob;
  plaintextSize: number;
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
  /** base64 HMAC-SHA256(DEK, "coffer/v1/commit" || prefix). */
  commitment: string;
  noncePrefix: Bytes;
}

/** Blob size for P plaintext bytes: P + 32 × max(1, ceil(P / 65,536)) (docs/FORMAT.md). */
export function blobSize(plaintextBytes: number): number {
  return plaintextBytes + FRAME_OVERHEAD * Math.max(1, Math.ceil(plaintextBytes / CHUNK_SIZE));
}

export function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** commitment = base64(HMAC-SHA256(key = DEK, "coffer/v1/commit" || nonce prefix)). */
export async function keyCommitment(dek: Bytes, noncePrefix: Bytes): Promise<string> {
  const key = await crypto.subtle.importKey('raw', dek, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, concat(ascii('coffer/v1/commit'), noncePrefix))));
}

function nonceFor(prefix: Bytes, counter: number, last: boolean): Bytes {
  const nonce = new Uint8Array(NONCE_SIZE);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_SIZE, counter, false);
  nonce[NONCE_SIZE - 1] = last ? LAST_FRAME_FLAG : MIDDLE_FRAME_FLAG;
  return nonce;
}

/**
 * Encrypts `source` frame by frame (docs/FORMAT.md "Frames", "Structured nonce"): 64 KiB read at
 * a time with Blob.slice, so the file is never read whole; SHA-256 in the same pass. The
 * prefix is fresh random unless a test passes one.
 */
export async function encryptBlob(
  source: Blob,
  dek: Bytes,
  options: { noncePrefix?: Bytes; onProgress?: (plaintextDone: number) => void } = {},
): Promise<EncryptedBlob> {
  if (dek.length !== KEY_SIZE) throw new RangeError('a DEK has 32 bytes');
  const noncePrefix = options.noncePrefix ?? randomBytes(NONCE_PREFIX_SIZE);
  if (noncePrefix.length !== NONCE_PREFIX_SIZE) throw new RangeError('a nonce prefix has 7 bytes');
  const key = await crypto.subtle.importKey('raw', dek, 'AES-GCM', false, ['encrypt']);
  const sha = await createSHA256();
  sha.init();
  const size = source.size;
  const frames = Math.max(1, Math.ceil(size / CHUNK_SIZE));
  if (frames > 2 ** 32) throw new RangeError('a blob holds at most 2^32 frames');
  const parts: BlobPart[] = [];
  for (let i = 0; i < frames; i++) {
    const chunk = new Uint8Array(await source.slice(i * CHUNK_SIZE, Math.min(size, (i + 1) * CHUNK_SIZE)).arrayBuffer());
    sha.update(chunk);
    const nonce = nonceFor(noncePrefix, i, i === frames - 1);
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, chunk));
    const header = new Uint8Array(HEADER_SIZE);
    header.set(nonce, 0);
    new DataView(header.buffer).setUint32(NONCE_SIZE, body.length, false);
    parts.push(header, body);
    options.onProgress?.(Math.min(size, (i + 1) * CHUNK_SIZE));
  }
  const blob = new Blob(parts, { type: 'application/octet-stream' });
  if (blob.size !== blobSize(size)) throw new Error('the file changed while it was read');
  return { blob, plaintextSize: size, sha256: sha.digest('hex'), commitment: await keyCommitment(dek, noncePrefix), noncePrefix };
}

export { toHex };
