import { Command } from 'commander';
import { CofferApi, type FileDetails } from '../lib/coffer-api';
import { CliError } from '../lib/errors';
import { formatBytes, formatTimestamp, printable } from '../lib/format';
import { resolveOneFile } from '../lib/resolve-file';
import { contextFor, type Runtime } from '../lib/runtime';
import { buildShareLink } from '../lib/share-link';
import { cachedNames } from '../lib/name-cache';
import { ownFileKey } from '../lib/own-file-key';

export interface ShownFile extends FileDetails {
  link?: string;
  /** For a file whose name travels encrypted: the real name this device knows (null: none). */
  name?: string | null;
  key?: string;
}

export function formatFileDetails(file: ShownFile): string {
  const rows: [string, string][] = [
    ['ID', file.file_id],
    ['Name', file.name === undefined ? printable(file.file_name) : file.name === null ? '(encrypted)' : printable(file.name)],
    ['Status', file.status],
    ['Mode', file.key_management_mode ?? '-'],
    ['Size', `${formatBytes(file.plaintext_size_bytes)} (${file.plaintext_size_bytes} bytes), encrypted ${formatBytes(file.encrypted_size_bytes)}`],
    ['SHA-256', file.plaintext_hash || (file.encrypted_metadata ? '(encrypted)' : '-')],
  ];
  if (file.created_at) rows.push(['Created', formatTimestamp(file.created_at)]);
  if (file.link) rows.push(['Link', file.link]);
  if (file.key) rows.push(['Key', file.key]);
  return rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join('\n');
}

export function filesShowCommand(runtime: Runtime): Command {
  return new Command('show')
    .description('show one file (by id or id prefix), with its share link')
    .argument('<id>', 'file id or its first characters')
    .option('--reveal-key', 'also show the file key from the vault')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (id: string, options: { revealKey?: boolean; vaultPasswordFile?: string }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = (await ctx.server()).url;
      const file: ShownFile = await resolveOneFile(new CofferApi(ctx, server), id, 'showing the file');
      if (file.status === 'uploaded' && file.s3_key) file.link = buildShareLink(server, file.s3_key);
      // The server holds the real name only encrypted: the one this device knows, if any.
      if (file.encrypted_metadata) file.name = (await cachedNames(ctx))[file.file_id] ?? null;
      if (options.revealKey) {
        if (file.key_management_mode === 'passphrase') {
          throw new CliError('this file has no stored key: it was uploaded with a passphrase', 'The passphrase you chose is what decrypts it.');
        }
        file.key = (await ownFileKey(ctx, server, file.file_id, options, 'revealing the key')).dek.toString('base64');
      }
      ctx.out.result(file, () => formatFileDetails(file));
    });
}
