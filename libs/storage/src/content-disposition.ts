/** Printable ASCII that needs no escaping inside a quoted-string and that no browser decodes. */
const PLAIN_FILENAME = /^[\x20\x21\x23\x24\x26-\x5b\x5d-\x7e]+$/;
/** RFC 3986 unreserved characters: all are RFC 5987 attr-chars, and %-encoding the rest is always allowed. */
const RFC5987_KEEP = /[A-Za-z0-9\-._~]/;

/**
 * `Content-Disposition: attachment` with the file name (RFC 6266). Names outside plain ASCII get
 * an ASCII fallback plus an RFC 5987 `filename*` with the exact UTF-8 name, so any Unicode string
 * (control characters and lone surrogates included) yields a safe, single-line header.
 */
export function contentDisposition(filename?: string): string {
  if (filename === undefined || filename === '') {
    return 'attachment';
  }
  if (PLAIN_FILENAME.test(filename)) {
    return `attachment; filename="${filename}"`;
  }
  return `attachment; filename="${asciiFallback(filename)}"; filename*=UTF-8''${encodeRfc5987(filename)}`;
}

function asciiFallback(filename: string): string {
  let fallback = '';
  for (const char of filename) {
    fallback += PLAIN_FILENAME.test(char) ? char : '_';
  }
  return fallback;
}

function encodeRfc5987(value: string): string {
  // Buffer.from replaces lone surrogates with U+FFFD instead of throwing like encodeURIComponent.
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && RFC5987_KEEP.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
