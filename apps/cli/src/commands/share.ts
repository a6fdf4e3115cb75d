import { Command } from 'commander';
import { CofferApi, type KeyMode } from '../lib/coffer-api';
import { CliError } from '../lib/errors';
import { printable } from '../lib/format';
import { resolveOneFile } from '../lib/resolve-file';
import { contextFor, type Runtime } from '../lib/runtime';
import { buildShareLink, buildWebLink } from '../lib/share-link';
import { shownName } from '../lib/name-cache';
import { ownFileKey } from '../lib/own-file-key';

export interface ShareInfo {
  file_id: string;
  file_name: string;
  mode: KeyMode;
  link: string;
  /** The browser page of the link: the key rides in its fragment for vault-mode files. */
  web_url: string;
  /** Vault mode: the base64 file key to hand over out of band. */
  key?: string;
}

/** Shell-quotes a value for the suggested command line. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function formatShare(share: ShareInfo): string {
  const lines = [`File: ${printable(share.file_name)} (${share.file_id})`, `Web:  ${share.web_url}`, `Link: ${share.link}`];
  if (share.key) {
    lines.push(
      `Key:  ${share.key}`,
      '',
      'The web link opens in any browser and holds the key: send it only over a channel you trust. Or send the link and',
      'the key by different channels; the recipient runs:',
      `  coffer decrypt ${quote(share.link)} --key ${quote(share.key)}`,
    );
  } else {
    lines.push(
      '',
      'Uploaded with a passphrase: send the web link (it asks for the passphrase) or the link,',
      'and the passphrase by another channel. With the CLI the recipient runs:',
      `  coffer decrypt ${quote(share.link)}`,
    );
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
      const link = buildShareLink(server, file.s3_key);
      const share: ShareInfo = { file_id: file.file_id, file_name: name, mode: file.key_management_mode ?? 'vault', link, web_url: buildWebLink(server, file.s3_key) };
      if (file.key_management_mode === 'vault') {
        const { dek } = await ownFileKey(ctx, server, file.file_id, options, 'sharing the file');
        share.key = dek.toString('base64');
        share.web_url = buildWebLink(server, file.s3_key, dek);
      }
      ctx.out.result(share, () => formatShare(share));
    });
}
