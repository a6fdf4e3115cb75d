import { Command } from 'commander';
import { decryptMetadata } from '@coffer/crypto';
import { AccountKeyring } from '../lib/account-keys';
import { CofferApi, type FileListItem } from '../lib/coffer-api';
import { cachedNames, rememberNames } from '../lib/name-cache';
import { unsealOwn } from '../lib/own-file-key';
import { formatBytes, formatTable, formatTimestamp, printable, shortId } from '../lib/format';
import { plaintextSizeOf } from '../lib/plaintext-size';
import { contextFor, type Runtime } from '../lib/runtime';

/**
 * A listed file with its plaintext size, computed from the stored size (null while nothing is
 * stored), and its real name: the server's `file_name`, or for a file whose name travels
 * encrypted the one this device knows (null when it knows none).
 */
export type ListedFile = FileListItem & { plaintext_size_bytes: number | null; name: string | null };

export function withPlaintextSizes(files: FileListItem[], names: Record<string, string> = {}): ListedFile[] {
  return files.map((f) => ({
    ...f,
    plaintext_size_bytes: f.status === 'uploaded' ? (plaintextSizeOf(f.encrypted_size_bytes) ?? null) : null,
    name: f.encrypted_metadata ? (names[f.file_id] ?? null) : f.file_name,
  }));
}

export function formatFileList(files: ListedFile[]): string {
  if (files.length === 0) return 'No files yet. Upload one with `coffer upload <file>`.';
  const size = (bytes: number | null) => (bytes === null ? '-' : formatBytes(bytes));
  return formatTable(
    ['ID', 'NAME', 'SIZE', 'STORED', 'STATUS', 'MODE', 'CREATED'],
    files.map((f) => [
      shortId(f.file_id),
      f.name === null ? '(encrypted)' : printable(f.name),
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
    .description('list your files, newest first: SIZE is the file, STORED its encrypted blob; encrypted names come from this device\'s cache')
    .option('--unlock', 'decrypt the names this device does not know with your account key (asks the vault password)')
    .option('--vault-password-file <path>', 'vault password from this file, with --unlock (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (options: { unlock?: boolean; vaultPasswordFile?: string }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const api = new CofferApi(ctx, (await ctx.server()).url);
      const listed = await api.listFiles();
      let names = await cachedNames(ctx);
      if (options.unlock) {
        const unknown = listed.filter((f) => f.encrypted_metadata && f.sealed_key && !(f.file_id in names));
        if (unknown.length > 0) {
          const { pair } = await new AccountKeyring(ctx, api).unlock(options);
          const found: Record<string, string> = {};
          for (const f of unknown) {
            try {
              found[f.file_id] = decryptMetadata(f.encrypted_metadata!, unsealOwn(pair, f.sealed_key!, f.file_id, 'listing files'), f.file_id).name;
            } catch (error) {
              ctx.out.warn(`the name of ${f.file_id} cannot be decrypted: ${(error as Error).message}`);
            }
          }
          await rememberNames(ctx, found);
          names = { ...names, ...found };
        }
      }
      const files = withPlaintextSizes(listed, names);
      ctx.out.result(files, () => formatFileList(files));
    });
}
