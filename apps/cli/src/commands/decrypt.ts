import { Command } from 'commander';
import { decryptLink, type DecryptOutcome } from '../lib/decrypt-link';
import { formatBytes, printable } from '../lib/format';
import { chooseKey, type KeyOptions } from '../lib/key-choice';
import { contextFor, type Runtime } from '../lib/runtime';
import { CofferApi } from '../lib/coffer-api';
import type { Context } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { resolveOneFile } from '../lib/resolve-file';
import { buildShareLink, parseShareLink, type ShareLink } from '../lib/share-link';

interface DecryptOptions extends KeyOptions {
  verify: boolean;
  force?: boolean;
  vaultPasswordFile?: string;
  parallel?: string;
}

export function formatDecrypted(outcome: DecryptOutcome): string {
  const check = outcome.verified ? 'plaintext SHA-256 verified' : 'plaintext SHA-256 not checked';
  return `Decrypted "${printable(outcome.file_name)}" to ${outcome.path} (${formatBytes(outcome.size_bytes)}, ${check}).`;
}

export function decryptCommand(runtime: Runtime): Command {
  return new Command('decrypt')
    .description('download a shared file and decrypt it (no account needed)')
    .argument('<link>', 'share link (https://<server>/files/download/<owner>/<id>), or the id (prefix) of one of your files')
    .argument('[dest]', 'output file, or a directory for the original name (default: current directory)')
    .option('--key <base64>', 'file key of a vault-mode file, as `coffer share` prints it (or COFFER_KEY)')
    .option('--vault', 'take the key from your vault (default for vault-mode files when you have a vault)')
    .option('-p, --passphrase', 'passphrase from COFFER_PASSPHRASE or a prompt (default for passphrase-mode files)')
    .option('--passphrase-file <path>', 'passphrase read from this file')
    .option('--passphrase-stdin', 'passphrase read from standard input')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .option('--no-verify', 'do not check the plaintext SHA-256 recorded at upload')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--parallel <n>', 'byte ranges of a large file fetched at once (1-16, default 4); an interrupted download resumes when run again')
    .action(async (rawLink: string, dest: string | undefined, options: DecryptOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const link = await linkOf(ctx, rawLink);
      const key = chooseKey(options, ctx.env);
      const parallel = parallelOf(options.parallel);
      const outcome = await decryptLink(ctx, { link, dest, force: options.force === true, verify: options.verify, key, vaultPasswordFile: options.vaultPasswordFile, parallel });
      ctx.out.result(outcome, () => formatDecrypted(outcome));
    });
}

function parallelOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 16) throw new UsageError(`--parallel must be a whole number from 1 to 16, got ${raw}`);
  return value;
}

/** A share link as given, or the link of one of the caller's files named by its id (prefix). */
async function linkOf(ctx: Context, raw: string): Promise<ShareLink> {
  if (raw.includes('/')) return parseShareLink(raw);
  const server = (await ctx.server()).url;
  const file = await resolveOneFile(new CofferApi(ctx, server), raw, 'decryption');
  if (file.status !== 'uploaded' || !file.s3_key) throw new CliError(`decryption failed: the file is not uploaded (status ${file.status})`, 'Upload it again.');
  return parseShareLink(buildShareLink(server, file.s3_key));
}
