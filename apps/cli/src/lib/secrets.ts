import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MIN_PASSPHRASE_LENGTH } from '@coffer/crypto';
import type { Context } from './context';
import { CliError, missingInput, UsageError } from './errors';
import { promptHidden } from './prompt';

/** Where one kind of secret may come from, in order: option (file or stdin), environment, prompt. */
export interface SecretSpec {
  /** e.g. "account password" */
  what: string;
  envVar: string;
  /** Path given with a `--…-file` option. */
  file?: string;
  /** Set when a `--…-stdin` option was given; the value is the option's name. */
  stdinOption?: string;
  /** Options the user could use instead of the prompt, for the hint (e.g. "--password-stdin"). */
  alternatives: string;
  /** A new secret: ask twice at the prompt. */
  confirm?: boolean;
  minLength?: number;
}

/**
 * A passphrase-mode file's passphrase: `--passphrase-file`, `--passphrase-stdin`, COFFER_PASSPHRASE
 * or a prompt. A new one (for an upload) is asked twice and must be long enough.
 */
export function readPassphrase(ctx: Context, source: { file?: string; stdin?: boolean }, isNew: boolean): Promise<string> {
  return readSecret(ctx, {
    what: 'passphrase',
    envVar: 'COFFER_PASSPHRASE',
    file: source.file,
    stdinOption: source.stdin ? '--passphrase-stdin' : undefined,
    alternatives: '--passphrase-file or --passphrase-stdin',
    confirm: isNew,
    minLength: isNew ? MIN_PASSPHRASE_LENGTH : undefined,
  });
}

/**
 * Reads a secret from the first source that is set. Without a terminal and without another source
 * it fails at once with a hint instead of waiting for input that will never come.
 */
export async function readSecret(ctx: Context, spec: SecretSpec): Promise<string> {
  const secret = await readFromSources(ctx, spec);
  if (secret.length === 0) throw new UsageError(`the ${spec.what} is empty`, `Give a non-empty ${spec.what}.`);
  if (spec.minLength !== undefined && [...secret].length < spec.minLength) {
    throw new UsageError(`the ${spec.what} must be at least ${spec.minLength} characters`, `Choose a longer ${spec.what}.`);
  }
  return secret;
}

async function readFromSources(ctx: Context, spec: SecretSpec): Promise<string> {
  if (spec.file !== undefined && spec.stdinOption !== undefined) {
    throw new UsageError(`give the ${spec.what} either from a file or from standard input, not both`);
  }
  if (spec.file !== undefined) return readSecretFile(spec.file, spec.what);
  if (spec.stdinOption !== undefined) {
    ctx.claimStdin(spec.stdinOption);
    return stripFinalNewline(await readAll(ctx.io.stdin));
  }
  const fromEnv = ctx.env[spec.envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!ctx.interactive) {
    throw missingInput(spec.what, `Set ${spec.envVar}, or use ${spec.alternatives}.`);
  }
  const first = await promptHidden(ctx.io, `${capitalize(spec.what)}: `);
  if (spec.confirm) {
    if (spec.minLength !== undefined && [...first].length < spec.minLength) return first; // rejected by the caller's check
    const second = await promptHidden(ctx.io, `Repeat the ${spec.what}: `);
    if (!sameSecret(first, second)) throw new UsageError(`the two ${spec.what}s do not match`, 'Try again.');
  }
  return first;
}

/** Two secrets compared in constant time (through their SHA-256, so their lengths do not show either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return stripFinalNewline(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Check the path and its permissions.');
  }
}

/** One trailing newline (as `echo` or an editor leaves it) is not part of the secret. */
export function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readAll(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
