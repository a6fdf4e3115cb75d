import { Command } from 'commander';
import { AccountKeyring } from '../lib/account-keys';
import { AccountKeysUnsupported, CofferApi } from '../lib/coffer-api';
import { loadCredentials } from '../lib/credentials';
import type { Context } from '../lib/context';
import { CliError, UsageError } from '../lib/errors';
import { formatBytes, shortId } from '../lib/format';
import { describeError, ReportedFailure } from '../lib/report-error';
import { contextFor, type Runtime } from '../lib/runtime';
import { readPassphrase } from '../lib/secrets';
import { regularFileSize, uploadFile, type UploadKeying, type UploadResult } from '../lib/upload-file';
import { abortPending, listPending } from '../lib/pending-uploads';
import { beginOpeningVault, vaultExists } from '../lib/vault-access';

export interface UploadOptions {
  name?: string;
  parallel?: string;
  listPending?: boolean;
  abort?: string;
  vault: boolean;
  passphrase?: boolean;
  passphraseFile?: string;
  passphraseStdin?: boolean;
  vaultPasswordFile?: string;
}

type FileOutcome = ({ ok: true } & UploadResult) | { ok: false; path: string; error: string };

/** Passphrase mode is chosen by any passphrase option; vault mode is the default. */
export function isPassphraseMode(options: UploadOptions): boolean {
  return !options.vault || options.passphrase === true || options.passphraseFile !== undefined || options.passphraseStdin === true;
}

export const DEFAULT_PARALLEL = 4;
const MAX_PARALLEL = 32;

/** `--parallel N`: parts of a large file in flight at once, 1..32. */
export function parallelParts(options: UploadOptions): number {
  if (options.parallel === undefined) return DEFAULT_PARALLEL;
  const n = /^\d+$/.test(options.parallel) ? Number(options.parallel) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARALLEL) throw new UsageError(`--parallel must be a whole number from 1 to ${MAX_PARALLEL}`);
  return n;
}

export function validateUploadOptions(files: string[], options: UploadOptions): void {
  const actions = [options.listPending === true, options.abort !== undefined, files.length > 0].filter(Boolean).length;
  if (actions === 0) throw new UsageError('no file to upload given', 'Give one or more files, or --list-pending, or --abort <file|id>.');
  if (actions > 1) throw new UsageError('--list-pending, --abort and files to upload cannot be combined');
  parallelParts(options);
  if (options.name !== undefined && files.length > 1) throw new UsageError('--name can only be used when uploading one file');
  if (options.passphraseFile !== undefined && options.passphraseStdin) throw new UsageError('--passphrase-file and --passphrase-stdin cannot be used together');
}

export function uploadCommand(runtime: Runtime): Command {
  return new Command('upload')
    .description('encrypt files and upload them; prints a share link for each')
    .argument('[files...]', 'files to upload')
    .option('-n, --name <name>', 'name to show instead of the file name (one file only)')
    .option('--parallel <n>', `parts of a large file sent at once (default ${DEFAULT_PARALLEL})`)
    .option('--list-pending', 'list the interrupted uploads of large files that this device can continue')
    .option('--abort <file|id>', 'discard an interrupted upload (by its file path or file id)')
    .option('-p, --passphrase', 'passphrase mode: derive the key from a passphrase (COFFER_PASSPHRASE or a prompt) instead of keeping it in the vault')
    .option('-N, --no-vault', 'same as --passphrase (Hashdrop spelling)')
    .option('--passphrase-file <path>', 'passphrase mode, passphrase read from this file')
    .option('--passphrase-stdin', 'passphrase mode, passphrase read from standard input')
    .option('--vault-password-file <path>', 'vault password from this file (default: COFFER_VAULT_PASSWORD or a prompt)')
    .action(async (files: string[], options: UploadOptions, command: Command) => {
      validateUploadOptions(files, options);
      const ctx = contextFor(runtime, command);
      const server = (await ctx.server()).url;
      if (options.listPending) return listPending(ctx, server);
      const credentials = await loadCredentials(ctx);
      // Before asking for any secret: uploading needs a login on this server.
      if (!credentials || credentials.server !== server) {
        throw new CliError(`you are not logged in to ${server}`, 'Run `coffer auth login` first.');
      }
      if (options.abort !== undefined) return abortPending(ctx, new CofferApi(ctx, server), options.abort);
      const tuning = { parallel: parallelParts(options) };
      // A file that cannot be read is reported before any secret is asked for.
      const unreadable = new Map<string, unknown>();
      for (const path of files) await regularFileSize(path, `upload of ${path}`).catch((error: unknown) => unreadable.set(path, error));
      for (const error of unreadable.values()) ctx.io.stderr.write(describeError(error, ctx.out.verbose).text);
      const outcomes: FileOutcome[] = [];
      const failedOutcome = (path: string, error: unknown): FileOutcome => ({ ok: false, path, error: error instanceof Error ? error.message : String(error) });
      if (unreadable.size === files.length) {
        if (ctx.out.json) ctx.out.result(files.map((path) => failedOutcome(path, unreadable.get(path))), () => '');
        throw new ReportedFailure(`${files.length} of ${files.length} uploads failed`);
      }
      const api = new CofferApi(ctx, server);
      const keying = await chooseKeying(ctx, api, options);
      for (const path of files) {
        if (unreadable.has(path)) {
          outcomes.push(failedOutcome(path, unreadable.get(path)));
          continue;
        }
        try {
          const result = await uploadFile(ctx, api, path, keying, options.name, tuning);
          outcomes.push({ ok: true, ...result });
          if (!ctx.out.json) printUploaded(ctx, result);
        } catch (error) {
          // Without the vault (wrong password, damaged file) no other file can be uploaded either.
          const vaultError = keying.mode === 'vault' && !keying.seal ? await keying.vault.failure() : undefined;
          if (vaultError !== undefined) throw vaultError;
          const { text } = describeError(error, ctx.out.verbose);
          ctx.io.stderr.write(text);
          outcomes.push(failedOutcome(path, error));
        }
      }
      if (ctx.out.json) ctx.out.result(outcomes, () => '');
      const failed = outcomes.filter((o) => !o.ok).length;
      if (failed > 0) throw new ReportedFailure(`${failed} of ${files.length} uploads failed`);
    });
}

async function chooseKeying(ctx: Context, api: CofferApi, options: UploadOptions): Promise<UploadKeying> {
  if (!isPassphraseMode(options)) {
    let publicKey: Buffer;
    try {
      publicKey = await new AccountKeyring(ctx, api).sealingKey(options);
    } catch (error) {
      if (!(error instanceof AccountKeysUnsupported)) throw error;
      ctx.out.debug('this server keeps no account keys: the key goes to the local vault only');
      return { mode: 'vault', vault: await beginOpeningVault(ctx, options, true) };
    }
    // The local vault (read by the stock Hashdrop client) is kept up to date when its password is at hand.
    const vaultPasswordGiven = options.vaultPasswordFile !== undefined || (ctx.env.COFFER_VAULT_PASSWORD ?? '') !== '';
    const vault = vaultPasswordGiven && (await vaultExists(ctx)) ? await beginOpeningVault(ctx, options, false) : undefined;
    return { mode: 'vault', seal: { publicKey }, vault };
  }
  const passphrase = await readPassphrase(ctx, { file: options.passphraseFile, stdin: options.passphraseStdin }, true);
  return { mode: 'passphrase', passphrase };
}

function printUploaded(ctx: Context, r: UploadResult): void {
  const lines = [
    `Uploaded ${r.path} as "${r.file_name}" (${formatBytes(r.size_bytes)}, ${r.mode} mode)`,
    `  id:   ${r.file_id}`,
    `  link: ${r.link}`,
    r.mode === 'vault'
      ? `  The key is ${r.sealed ? 'sealed to your account key' : 'in your local vault'}; \`coffer share ${shortId(r.file_id)}\` shows the link and key to send.`
      : '  A recipient needs the link and the passphrase (send it another way).',
  ];
  ctx.io.stdout.write(`${lines.join('\n')}\n`);
}
