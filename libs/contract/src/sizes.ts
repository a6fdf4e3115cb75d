/**
 * Sizes as the CLI and the server's messages show them: binary units only (1 KiB = 1024 bytes,
 * MiB, GiB, TiB), never kB/MB/GB. A size set by someone else in decimal units (S3's 5 GB for one
 * PUT) is shown the same way, with its exact byte count.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1536` → `1.5 KiB`, `5_000_000_000` → `4.7 GiB`; whole bytes below 1 KiB (`100 B`). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

/** For limits and sizes in messages: `4.7 GiB (5,000,000,000 bytes)`; `100 bytes` below 1 KiB. */
export function formatExactBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  const exact = `${Math.trunc(bytes).toLocaleString('en-US')} byte${bytes === 1 ? '' : 's'}`;
  return bytes < 1024 ? exact : `${formatBytes(bytes)} (${exact})`;
}
