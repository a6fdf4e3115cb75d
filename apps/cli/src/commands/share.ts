import { Command } from 'commander';
import { CofferApi, type KeyMode } from '../lib/coffer-api';
import { CliError } from '../lib/errors';
import { printable } from '../lib/format';
import { resolveOneFile } from '../lib/resolve-file';
import { contextFor, type Runtime } from '../lib/runtime';
import { buildShareLink } from '../lib/share-link';
import { shownName } from '../lib/name-cache';
import { ownFileKey } from '../lib/own-file-key';

export interface ShareInfo {
  file_id: string;
  file_name: string;
  mode: KeyMode;
  link: string;
  /** Vault mode: the base64 file key to hand over out of band. */
  key?: string;
}

/** Shell-quotes a value for the suggested command line. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function formatShare(share: ShareInfo): string {
  const lines = [`File: ${printable(share.file_name)} (${share.file_id})`, `Link: ${share.link}`];
  if (share.key) {
    lines.push(`Key:  ${share.key}`, '', 'Send the link and the key by different channels. The recipient runs:', `  coffer decrypt ${quote(share.link)} --key ${quote(share.key)}`);
  } else {
    lines.push('', 'Uploaded with a passphrase: send the link, and the passphrase by another channel. The recipient runs:', `  coffer decrypt ${quote(share.link)}`);
  }
  return lines.join('\n');
}

export function shareCommand(runtime: Runtime): Command {
  return new Command('share')
    .description('print the share link of a file, and its key for vault-mode files')
    .argument('<id>', 'file id or its first characters')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (id: string, options: { vaultPasswordFile?: string }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = (await ctx.server()).url;
      const file = await resolveOneFile(new CofferApi(ctx, server), id, 'sharing the file');
      if (file.status !== 'uploaded') throw new CliError(`sharing the file failed: it is not uploaded (status ${file.status})`, 'Upload it again.');
      const name = await shownName(ctx, file);
      const share: ShareInfo = { file_id: file.file_id, file_name: name, mode: file.key_management_mode ?? 'vault', link: buildShareLink(server, file.s3_key) };
      if (file.key_management_mode === 'vault') {
        share.key = (await ownFileKey(ctx, server, file.file_id, options, 'sharing the file')).dek.toString('base64');
      }
      ctx.out.result(share, () => formatShare(share));
    });
}
