/** RFC 3339 UTC with whole seconds, the shape docs/API.md shows (`2026-01-01T00:00:00Z`). */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
