import { statSync } from 'node:fs';
import { prestartEncryptWorker } from '@coffer/crypto';

/** Options of `coffer` and `coffer upload` that take a value (the value is not a file to upload). */
const OPTIONS_WITH_VALUE = new Set(['--server', '-n', '--name', '--parallel', '--abort', '--passphrase-file', '--vault-password-file']);

/**
 * The files `argv` (as `process.argv`) would upload, when it is an upload: a quick look ahead of
 * the real parser, which it only needs to agree with on ordinary command lines. A line it misreads
 * costs a worker started for nothing or started later, never a different upload.
 */
export function uploadArguments(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  let i = 0;
  // Global options come before the command.
  for (; i < args.length && args[i].startsWith('-'); i++) if (OPTIONS_WITH_VALUE.has(args[i])) i++;
  if (args[i] !== 'upload') return [];
  const files: string[] = [];
  for (i++; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return [...files, ...args.slice(i + 1)];
    if (arg === '--list-pending' || arg === '--abort' || arg === '-h' || arg === '--help') return [];
    if (OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) files.push(arg);
  }
  return files;
}

/**
 * Called first thing by the binary: an upload of a large file starts its hashing worker before the
 * rest of the CLI is even loaded, so the worker's start (~90 ms here) overlaps the module loading,
 * the login and the account-key check instead of following them. The worker holds no secret and
 * reads nothing until the encryption starts, which is after the account key was checked against
 * its pin; unused, it does not keep the process alive.
 */
export function prestartForUpload(argv: readonly string[]): void {
  for (const path of uploadArguments(argv)) {
    let size: number | undefined;
    try {
      const info = statSync(path);
      size = info.isFile() ? info.size : undefined;
    } catch {
      // Reported by the command itself, in its own words.
    }
    if (size !== undefined) {
      prestartEncryptWorker(size);
      return;
    }
  }
}
