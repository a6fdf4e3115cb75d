/** Canonical standard base64 with padding: what `Buffer#toString('base64')` writes, nothing else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes strict base64 (Node's decoder silently skips junk and stops at padding); `undefined` when
 * `value` is not canonical base64 or, if given, does not decode to exactly `length` bytes.
 */
export function decodeBase64(value: unknown, length?: number): Buffer | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  // Non-zero unused bits in the last character would give a second spelling of the same bytes.
  if (bytes.toString('base64') !== value) return undefined;
  if (length !== undefined && bytes.length !== length) return undefined;
  return bytes;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** User and file ids enter associated data as their 36 ASCII bytes, so only the canonical form is accepted. */
export function idBytes(id: string, what: 'user id' | 'file id'): Buffer {
  if (typeof id !== 'string' || !ID.test(id)) throw new RangeError(`${what} must be a lowercase UUID (36 characters)`);
  return Buffer.from(id, 'ascii');
}
