import { resolve } from 'node:path';
import type { CofferApi } from './coffer-api';
import type { Context } from './context';
import { CliError } from './errors';
import { formatBytes, formatTable, formatTimestamp, shortId } from './format';
import { abandon } from './multipart-upload';
import { listRecords, recordFor, type ResumeRecord } from './resume-record';

interface PendingItem {
  file_id: string;
  path: string;
  size_bytes: number;
  parts_uploaded: number;
  part_count: number;
  mode: ResumeRecord['mode'];
  started_at: string;
}

/** `coffer upload --list-pending`: this device's interrupted multipart uploads to `server`. */
export async function listPending(ctx: Context, server: string): Promise<void> {
  const items: PendingItem[] = (await listRecords(ctx))
    .filter((r) => r.server === server)
    .map((r) => ({
      file_id: r.file_id,
      path: r.source.path,
      size_bytes: r.source.size,
      parts_uploaded: Object.values(r.parts).filter((p) => p.etag !== undefined).length,
      part_count: r.part_count,
      mode: r.mode,
      started_at: r.created_at,
    }));
  ctx.out.result(items, () => {
    if (items.length === 0) return `No interrupted uploads to ${server}.`;
    const rows = items.map((i) => [shortId(i.file_id), `${i.parts_uploaded}/${i.part_count}`, formatBytes(i.size_bytes), formatTimestamp(i.started_at), i.path]);
    return `${formatTable(['ID', 'PARTS', 'SIZE', 'STARTED', 'FILE'], rows, [false, true, true])}\nRun \`coffer upload <file>\` again to continue one, or \`coffer upload --abort <id>\` to discard it.`;
  });
}

/**
 * `coffer upload --abort <file|id>`: aborts the upload on the server (its parts and quota
 * reservation go) and deletes the resume record, with the file key it held.
 */
export async function abortPending(ctx: Context, api: CofferApi, target: string): Promise<void> {
  const record = await recordFor(ctx, api.baseUrl, target, resolve(target));
  if (!record) {
    throw new CliError(`no interrupted upload of "${target}" on this device`, 'See `coffer upload --list-pending`; a finished file is deleted with `coffer files delete`.');
  }
  await abandon(ctx, api, record);
  ctx.out.result({ file_id: record.file_id, path: record.source.path, aborted: true }, () => `Discarded the interrupted upload of ${record.source.path} (file id ${record.file_id}).`);
}
