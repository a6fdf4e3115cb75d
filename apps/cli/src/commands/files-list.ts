import { Command } from 'commander';
import { CofferApi, type FileListItem } from '../lib/coffer-api';
import { formatBytes, formatTable, formatTimestamp, printable, shortId } from '../lib/format';
import { contextFor, type Runtime } from '../lib/runtime';

export function formatFileList(files: FileListItem[]): string {
  if (files.length === 0) return 'No files yet. Upload one with `coffer upload <file>`.';
  return formatTable(
    ['ID', 'NAME', 'SIZE', 'STATUS', 'MODE', 'CREATED'],
    files.map((f) => [shortId(f.file_id), printable(f.file_name), formatBytes(f.encrypted_size_bytes), f.status, f.key_management_mode ?? '-', formatTimestamp(f.created_at)]),
    [false, false, true],
  );
}

export function filesListCommand(runtime: Runtime): Command {
  return new Command('list')
    .alias('ls')
    .description('list your files, newest first (sizes are encrypted sizes)')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const files = await new CofferApi(ctx, (await ctx.server()).url).listFiles();
      ctx.out.result(files, () => formatFileList(files));
    });
}
