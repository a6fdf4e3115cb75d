import { join } from 'node:path';
import { decryptMetadata, DecryptionError, verifyKeyCommitment, type FileMetadata } from '@coffer/crypto';
import type { FileMeta } from './coffer-api';
import type { Context } from './context';
import { CliError } from './errors';
import { ensurePrivateDir, writeFileAtomic } from '@coffer/state-files';
import { readJsonFile } from './state-files';

/** Bytes of a Coffer blob's nonce prefix (FORMAT.md): the commitment is HMAC(DEK, label || prefix). */
const NONCE_PREFIX_SIZE = 7;
const KEPT_PREFIXES = 1000;

/** Where the key being tried came from: it decides what a mismatch with the commitment means. */
export type KeySource = 'key' | 'passphrase' | 'vault';

/**
 * The key did not produce the file's key commitment. Thrown before any plaintext exists, and
 * before the download when the blob's nonce prefix is already known.
 */
export class CommitmentMismatch extends Error {
  override readonly name = 'CommitmentMismatch';
}

/**
 * A blob's nonce prefix is public (the first bytes of its ciphertext), but the server's meta does
 * not give it: it is learned from the first download and kept in COFFER_HOME, so later tries
 * with a wrong key or passphrase are refused without spending one of the file's daily downloads.
 */
function prefixesFile(ctx: Context): string {
  return join(ctx.home, 'nonce-prefixes.json');
}

export async function knownNoncePrefix(ctx: Context, fileId: string): Promise<Buffer | undefined> {
  const kept = await readJsonFile<Record<string, string>>(prefixesFile(ctx)).catch(() => undefined);
  const value = kept && typeof kept === 'object' ? kept[fileId] : undefined;
  const prefix = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
  return prefix?.length === NONCE_PREFIX_SIZE ? prefix : undefined;
}

/** Best effort: a home that cannot be written only costs the next wrong try a download. */
export async function rememberNoncePrefix(ctx: Context, fileId: string, prefix: Buffer): Promise<void> {
  try {
    const kept = (await readJsonFile<Record<string, string>>(prefixesFile(ctx)).catch(() => undefined)) ?? {};
    const entries = Object.entries(kept).filter(([id]) => id !== fileId);
    entries.push([fileId, prefix.toString('base64')]);
    await ensurePrivateDir(ctx.home);
    await writeFileAtomic(prefixesFile(ctx), `${JSON.stringify(Object.fromEntries(entries.slice(-KEPT_PREFIXES)))}\n`);
  } catch (error) {
    ctx.out.debug(`could not keep the nonce prefix: ${(error as Error).message}`);
  }
}

/** In constant time, like every value derived from a secret (the commitment is an HMAC under the file key). */
export function matchesCommitment(dek: Buffer, prefix: Buffer, commitment: string): boolean {
  return verifyKeyCommitment(dek, prefix, commitment);
}

/**
 * Passes the ciphertext through once its nonce prefix has been checked against `commitment`:
 * `onPrefix` sees the prefix first (to keep it), then a mismatch throws CommitmentMismatch.
 */
export async function* checkedAgainstCommitment(
  blob: AsyncIterable<Buffer>,
  dek: Buffer,
  commitment: string,
  onPrefix: (prefix: Buffer) => Promise<void>,
): AsyncGenerator<Buffer> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let checked = false;
  for await (const chunk of blob) {
    if (checked) {
      yield chunk;
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes < NONCE_PREFIX_SIZE) continue;
    const prefix = Buffer.concat(head).subarray(0, NONCE_PREFIX_SIZE);
    await onPrefix(Buffer.from(prefix));
    if (!matchesCommitment(dek, prefix, commitment)) throw new CommitmentMismatch('the key does not match the key commitment');
    checked = true;
    yield* head;
  }
  // Shorter than a prefix: the decryptor refuses it as truncated.
  if (!checked) yield* head;
}

/** What a key that does not match the commitment means, by where it came from. */
export function mismatchFailure(source: KeySource, downloaded: boolean): CliError {
  const nothing = downloaded ? 'Nothing was written.' : 'Nothing was downloaded.';
  switch (source) {
    case 'passphrase':
      return new CliError('decryption failed: wrong passphrase', `${nothing} Check the passphrase (COFFER_PASSPHRASE, --passphrase-file or --passphrase-stdin).`);
    case 'key':
      return new CliError('decryption failed: wrong key', `${nothing} Use the key exactly as \`coffer share\` printed it for this file.`);
    case 'vault':
      // The vault's key and commitment are the ones recorded at upload: the blob's prefix changed.
      return tampered(nothing);
  }
}

export function tampered(nothing = 'Nothing was written.'): CliError {
  return new CliError(
    'decryption failed: the file was tampered with or damaged (the key is the right one: it matches the key commitment, but the data does not authenticate)',
    `${nothing} Ask the sender to upload it again.`,
  );
}

/**
 * Checks a candidate key against what the public meta proves before the counted download
 * (issue 15): the key commitment with the blob's nonce prefix (from the meta, else kept from an
 * earlier try), and the encrypted metadata record, whose tag only the right key opens. Answers
 * the decrypted metadata when there is a record.
 */
export function checkKeyBeforeDownload(
  meta: Pick<FileMeta, 'nonce_prefix' | 'encrypted_metadata'>,
  fileId: string,
  key: { dek: Buffer; commitment?: string; source: KeySource },
  knownPrefix: Buffer | undefined,
): { metadata?: FileMetadata } {
  const prefix = typeof meta.nonce_prefix === 'string' && /^[0-9a-f]{14}$/.test(meta.nonce_prefix) ? Buffer.from(meta.nonce_prefix, 'hex') : knownPrefix;
  const committed = key.commitment && prefix ? matchesCommitment(key.dek, prefix, key.commitment) : undefined;
  if (committed === false) throw mismatchFailure(key.source, false);
  if (!meta.encrypted_metadata) return {};
  try {
    return { metadata: decryptMetadata(meta.encrypted_metadata, key.dek, fileId) };
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    // A key that matches the commitment is the right one: then the record itself was changed.
    throw committed ? tampered('Nothing was downloaded.') : mismatchFailure(key.source, false);
  }
}
