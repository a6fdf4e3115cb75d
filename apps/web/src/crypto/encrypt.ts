import { createSHA256 } from 'hash-wasm';
import { ascii, concat, toBase64, toHex, type Bytes } from './bytes';
import { CHUNK_SIZE, KEY_SIZE, NONCE_PREFIX_SIZE } from './blob-format';
import { blobSize, encryptPart } from './encrypt-part';

export { blobSize };

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

export function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** commitment = base64(HMAC-SHA256(key = DEK, "coffer/v1/commit" || nonce prefix)). */
export async function keyCommitment(dek: Bytes, noncePrefix: Bytes): Promise<string> {
  const key = await crypto.subtle.importKey('raw', dek, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, concat(ascii('coffer/v1/commit'), noncePrefix))));
}

/** Plaintext read, hashed and encrypted at a time: 64 frames, their AES-GCM calls side by side. */
const GROUP_FRAMES = 64;

/**
 * Encrypts `source` (docs/FORMAT.md "Frames", "Structured nonce") in groups of 64 frames read with
 * Blob.slice, so the file is never read whole; SHA-256 in the same pass. The blob is the
 * encrypted groups joined, the same bytes as one `encryptPart` of the whole file. The prefix is
 * fresh random unless a test passes one. Aborting `signal` stops it between groups.
 */
export async function encryptBlob(
  source: Blob,
  dek: Bytes,
  options: { noncePrefix?: Bytes; onProgress?: (plaintextDone: number) => void; signal?: AbortSignal } = {},
): Promise<EncryptedBlob> {
  if (dek.length !== KEY_SIZE) throw new RangeError('a DEK has 32 bytes');
  const noncePrefix = options.noncePrefix ?? randomBytes(NONCE_PREFIX_SIZE);
  if (noncePrefix.length !== NONCE_PREFIX_SIZE) throw new RangeError('a nonce prefix has 7 bytes');
  const key = await crypto.subtle.importKey('raw', dek, 'AES-GCM', false, ['encrypt']);
  const sha = await createSHA256();
  sha.init();
  const size = source.size;
  const group = GROUP_FRAMES * CHUNK_SIZE;
  const groups = Math.max(1, Math.ceil(size / group));
  const parts: BlobPart[] = [];
  for (let i = 0; i < groups; i++) {
    if (options.signal?.aborted) throw options.signal.reason;
    const chunk = new Uint8Array(await source.slice(i * group, Math.min(size, (i + 1) * group)).arrayBuffer());
    sha.update(chunk);
    parts.push(await encryptPart(chunk, key, { noncePrefix, firstFrame: i * GROUP_FRAMES, isLast: i === groups - 1 }));
    options.onProgress?.(Math.min(size, (i + 1) * group));
  }
  const blob = new Blob(parts, { type: 'application/octet-stream' });
  if (blob.size !== blobSize(size)) throw new Error('the file changed while it was read');
  return { blob, plaintextSize: size, sha256: sha.digest('hex'), commitment: await keyCommitment(dek, noncePrefix), noncePrefix };
}

export { toHex };
