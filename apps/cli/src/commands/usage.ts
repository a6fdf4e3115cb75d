import { Command } from 'commander';
import { CofferApi, type Usage } from '../lib/coffer-api';
import { formatBytes } from '../lib/format';
import { contextFor, type Runtime } from '../lib/runtime';

export function formatUsage(u: Usage): string {
  const quota = u.quota_bytes > 0 ? ` of ${formatBytes(u.quota_bytes)} (${((100 * u.used_bytes) / u.quota_bytes).toFixed(1)}%)` : '';
  const reserved = u.reserved_bytes > 0 ? `, ${formatBytes(u.reserved_bytes)} reserved by uploads in progress` : '';
  return [
    `Storage   ${formatBytes(u.used_bytes)}${quota}${reserved}`,
    `Files     ${u.file_count}${u.max_files > 0 ? ` of ${u.max_files}` : ''}`,
    `Max file  ${u.max_file_size_bytes > 0 ? formatBytes(u.max_file_size_bytes) : 'no limit'} (encrypted size)`,
  ].join('\n');
}

export function usageCommand(runtime: Runtime): Command {
  return new Command('usage')
    .description('show your storage use, quota and limits')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const usage = await new CofferApi(ctx, (await ctx.server()).url).usage();
      ctx.out.result(usage, () => formatUsage(usage));
    });
}
