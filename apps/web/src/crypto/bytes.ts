/** Byte helpers of the browser crypto: strict decoders (a malformed value decodes to `undefined`). */

export type Bytes = Uint8Array<ArrayBuffer>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function binaryToBytes(binary: string): Bytes {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function bytesToBinary(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return binary;
}

export function toBase64(bytes: Uint8Array): string {
  return btoa(bytesToBinary(bytes));
}

/** Canonical standard base64 with padding only (as the server and the CLI write it); `length` if given must match. */
export function fromBase64(value: unknown, length?: number): Bytes | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) return undefined;
  const bytes = binaryToBytes(atob(value));
  if (toBase64(bytes) !== value) return undefined;
  if (length !== undefined && bytes.length !== length) return undefined;
  return bytes;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url without padding (a URL fragment), also accepting standard base64 as `coffer share` prints the key. */
export function fromBase64Url(value: string, length?: number): Bytes | undefined {
  const trimmed = value.trim().replace(/=+$/, '');
  const url = trimmed.replace(/\+/g, '-').replace(/\//g, '_');
  if (!BASE64URL.test(url) || url.length % 4 === 1) return undefined;
  const standard = url.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = binaryToBytes(atob(standard + '='.repeat((4 - (standard.length % 4)) % 4)));
  if (toBase64Url(bytes) !== url) return undefined;
  if (length !== undefined && bytes.length !== length) return undefined;
  return bytes;
}

export function fromHex(value: unknown, length?: number): Bytes | undefined {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(value)) return undefined;
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) return undefined;
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const ascii = (text: string): Bytes => new TextEncoder().encode(text);

/** Compares without an early exit, for values derived from a secret. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
