import { Command } from 'commander';
import { confirmAction } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { printable } from '../lib/format';
import { shownName } from '../lib/name-cache';
import { resolveOneFile } from '../lib/resolve-file';
import { contextFor, type Runtime } from '../lib/runtime';

export function filesDeleteCommand(runtime: Runtime): Command {
  return new Command('delete')
    .alias('rm')
    .description('delete one file (by id or id prefix); its link stops working')
    .argument('<id>', 'file id or its first characters')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, options: { yes?: boolean }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const api = new CofferApi(ctx, (await ctx.server()).url);
      // Resolve first, so a prefix never deletes another file than the one confirmed.
      const file = await resolveOneFile(api, id, 'deleting the file');
      const name = await shownName(ctx, file);
      await confirmAction(ctx, options.yes, `Delete "${printable(name)}" (${file.file_id})?`);
      await api.deleteFile(file.file_id, 'deleting the file');
      ctx.out.result({ file_id: file.file_id, file_name: name, deleted: true }, () => `Deleted "${printable(name)}" (${file.file_id}).`);
    });
}
