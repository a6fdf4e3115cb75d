/** Pure formatting helpers for human output. */

/** Sizes in binary units, with the server's messages' helper (one unit style: libs/contract's sizes). */
export { formatBytes, formatExactBytes } from '@coffer/contract';

/** Seconds as a short duration: `45 s`, `3 min 5 s`, `2 h 10 min`, `1 d 3 h`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86_400) {
    const min = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${min ? ` ${min} min` : ''}`;
  }
  const h = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)} d${h ? ` ${h} h` : ''}`;
}

/** The first 8 characters of a file id, as shown in lists (enough for `files show <prefix>`). */
export function shortId(fileId: string): string {
  return fileId.slice(0, 8);
}

/** `2026-01-02T03:04:05Z` → `2026-01-02 03:04 UTC`; anything unparsable is shown as is. */
export function formatTimestamp(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A plain-text table: a header row and left-aligned columns separated by two spaces
 * (right-aligned where `rightAlign` says so). Cells never contain newlines.
 */
export function formatTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const clean = (cell: string) => cell.replace(/[\u0000-\u001f\u007f]/g, '?');
  const all = [header, ...rows].map((row) => row.map(clean));
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, col) => (rightAlign[col] ? cell.padStart(widths[col]) : cell.padEnd(widths[col])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Replaces control characters, so a name from the server cannot move the cursor or clear the screen. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
