import { Command } from 'commander';
import { CofferApi, type FileListItem } from '../lib/coffer-api';
import { formatBytes, formatTable, formatTimestamp, printable, shortId } from '../lib/format';
import { plaintextSizeOf } from '../lib/plaintext-size';
import { contextFor, type Runtime } from '../lib/runtime';

/** A listed file with its plaintext size, computed from the stored size; null while nothing is stored. */
export type ListedFile = FileListItem & { plaintext_size_bytes: number | null };

export function withPlaintextSizes(files: FileListItem[]): ListedFile[] {
  return files.map((f) => ({ ...f, plaintext_size_bytes: f.status === 'uploaded' ? (plaintextSizeOf(f.encrypted_size_bytes) ?? null) : null }));
}

export function formatFileList(files: ListedFile[]): string {
  if (files.length === 0) return 'No files yet. Upload one with `coffer upload <file>`.';
  const size = (bytes: number | null) => (bytes === null ? '-' : formatBytes(bytes));
  return formatTable(
    ['ID', 'NAME', 'SIZE', 'STORED', 'STATUS', 'MODE', 'CREATED'],
    files.map((f) => [
      shortId(f.file_id),
      printable(f.file_name),
      size(f.plaintext_size_bytes),
      f.status === 'uploaded' ? formatBytes(f.encrypted_size_bytes) : '-',
      f.status,
      f.key_management_mode ?? '-',
      formatTimestamp(f.created_at),
    ]),
    [false, false, true, true],
  );
}

export function filesListCommand(runtime: Runtime): Command {
  return new Command('list')
    .alias('ls')
    .description('list your files, newest first: SIZE is the file, STORED its encrypted blob')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const files = withPlaintextSizes(await new CofferApi(ctx, (await ctx.server()).url).listFiles());
      ctx.out.result(files, () => formatFileList(files));
    });
}
