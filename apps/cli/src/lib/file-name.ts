import { basename } from 'node:path';
import { UsageError } from './errors';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The display name sent at presign: 1–255 characters without control characters (docs/API.md). */
export function validateUploadName(name: string): string {
  const length = [...name].length;
  if (length < 1 || length > 255 || CONTROL.test(name)) {
    throw new UsageError(`invalid file name ${JSON.stringify(name)}`, 'A name has 1 to 255 characters and no control characters; set one with --name.');
  }
  return name;
}

/**
 * A local file name for a name that came from the server (anyone with a link controls it): only
 * its last path segment, no control characters, never `.`/`..`, not hidden, at most 200 bytes.
 * Falls back to `fallback` when nothing usable is left.
 */
export function safeLocalName(name: string, fallback: string): string {
  let cleaned = basename(name.replace(/\\/g, '/'))
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  while (Buffer.byteLength(cleaned) > 200) cleaned = [...cleaned].slice(0, -1).join('');
  return cleaned === '' ? fallback : cleaned;
}
