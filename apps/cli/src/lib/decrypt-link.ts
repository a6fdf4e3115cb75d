import { unlinkSync } from 'node:fs';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { aesGcmImplementation, decrypt, DecryptionError, FRAME_SIZE, prestartRangeDecryptor, type DecryptedStream, deriveKeyFromPassphrase, parseKdfParams, pipeTo, DEFAULT_KDF_PARAMS, type KdfParams } from '@coffer/crypto';
import { ownFileKey } from './own-file-key';
import { onInterrupt } from './cleanup';
import { CofferApi, type FileMeta, type KeyMode } from './coffer-api';
import type { Context } from './context';
import { CliError } from './errors';
import { safeLocalName } from './file-name';
import { errorCodeOf, httpFailure, networkFailure, parseRetryAfter, retryHint, type ErrorAnswer, type ReceivedErrorBody } from './http-errors';
import { getStream, headStatus, readSmall } from './http-transfer';
import { checkedAgainstCommitment, checkKeyBeforeDownload, CommitmentMismatch, knownNoncePrefix, mismatchFailure, rememberNoncePrefix, tampered, type KeySource } from './key-check';
import type { KeyChoice } from './key-choice';
import { startProgress } from './progress';
import { readPassphrase } from './secrets';
import type { ShareLink } from './share-link';
import { vaultExists, type VaultPasswordOptions } from './vault-access';
import { loadCredentials } from './credentials';
import { rememberNames } from './name-cache';
import { anyRecordFor } from './download-record';
import { DEFAULT_PARALLEL, DEFAULT_RANGE_FRAMES, rangedDownload } from './ranged-download';

export interface DecryptRequest extends VaultPasswordOptions {
  link: ShareLink;
  dest?: string;
  force: boolean;
  verify: boolean;
  key: KeyChoice;
  /** Ranges fetched at once for a large file (default 4); 0 or 1 … 1 connection. */
  parallel?: number;
}

export interface DecryptOutcome {
  path: string;
  file_id: string;
  file_name: string;
  mode: KeyMode;
  size_bytes: number;
  sha256: string;
  /** The plaintext hash was checked against the one recorded at upload. */
  verified: boolean;
  /** Legacy blob: frames verified one by one, order and completeness not proven. */
  legacy: boolean;
}

const WRITE_BUFFER = 1024 * 1024;
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Downloads and decrypts a shared file. The key commitment is checked before any plaintext is
 * released and the plaintext hash at the end; the plaintext goes to a private temp file next to
 * the destination and is renamed into place only when everything verified. On any failure the
 * temp file is deleted: no partial plaintext remains.
 */
export async function decryptLink(ctx: Context, request: DecryptRequest): Promise<DecryptOutcome> {
  const { link } = request;
  const api = new CofferApi(ctx, link.base);
  const meta = await api.meta(link.ownerHash, link.fileId, 'decryption');
  if (!meta) {
    throw new CliError('decryption failed: there is no file behind this link', 'The link may be mistyped, or the file was deleted or is not uploaded yet.');
  }
  const rangeFrames = positiveInt(ctx.env.COFFER_DOWNLOAD_RANGE_FRAMES) ?? DEFAULT_RANGE_FRAMES;
  // A file that may come in ranges: their decrypting thread starts while the key and the session are prepared.
  if (meta.key_commitment && meta.encrypted_size_bytes > rangeFrames * FRAME_SIZE) prestartRangeDecryptor();
  // With an encrypted metadata record the real name is known only once the key is: an existing
  // destination is refused before any secret is asked for only when it can be.
  const early = meta.encrypted_metadata ? undefined : await planOutput(request.dest, meta.file_name, link.fileId, request.force);
  // A download that was interrupted resumes through its session, which the limit no longer concerns.
  const resumable = await anyRecordFor(early?.dir ?? (await guessDir(request.dest)), link.fileId);
  if (!resumable) await checkDownloadAllowed(link.downloadUrl);
  const { dek, commitment, source } = await fileKey(ctx, request, meta);
  ctx.out.debug(`key ready (${request.key.kind}, ${aesGcmImplementation()}); downloading ${link.downloadUrl}`);
  if (!commitment) ctx.out.warn('this file has no key commitment (uploaded by another client): the key cannot be pinned before decrypting');
  // The blob's nonce prefix kept from an earlier try, for files whose meta does not give it.
  const knownPrefix = commitment ? await knownNoncePrefix(ctx, link.fileId) : undefined;
  // A wrong key or passphrase is refused here, without spending one of the file's daily downloads.
  const checked = checkKeyBeforeDownload(meta, link.fileId, { dek, commitment, source }, knownPrefix);
  if (checked.metadata) await rememberNames(ctx, { [link.fileId]: checked.metadata.name });
  const fileName = checked.metadata?.name ?? meta.file_name;
  const target = early ?? (await planOutput(request.dest, fileName, link.fileId, request.force));
  ctx.out.debug(`writing to ${target.path}`);
  const recordedHash = checked.metadata?.sha256 ?? meta.plaintext_hash;
  const expectedHash = request.verify && recordedHash ? recordedHash : undefined;

  const prefix = typeof meta.nonce_prefix === 'string' && /^[0-9a-f]{14}$/.test(meta.nonce_prefix) ? Buffer.from(meta.nonce_prefix, 'hex') : knownPrefix;
  // Ranges need a strict blob whose prefix is pinned by the commitment (checked above): each range is then verified on its own.
  if (commitment && prefix && meta.encrypted_size_bytes > rangeFrames * FRAME_SIZE) {
    const ranged = await inRanges(ctx, request, { dek, prefix, size: meta.encrypted_size_bytes, target, rangeFrames, expectedHash, source });
    if (ranged) {
      return { path: target.path, file_id: link.fileId, file_name: fileName, mode: meta.key_management_mode, size_bytes: ranged.plaintextSize, sha256: ranged.sha256, verified: expectedHash !== undefined, legacy: false };
    }
  }

  const download = await openDownload(link.downloadUrl);
  ctx.out.debug(`download answered from ${new URL(download.url).origin}`);
  const total = Number(download.headers['content-length'] ?? meta.encrypted_size_bytes) || 0;
  const progress = startProgress(ctx, 'decrypting', total);
  const temp = join(target.dir, `.${randomBytes(8).toString('hex')}.coffer-partial`);
  // Created empty first (O_EXCL, 0600), so an unwritable destination gets a clear message.
  await open(temp, 'wx', 0o600).then(
    (handle) => handle.close(),
    (error: NodeJS.ErrnoException) => {
      download.stream.destroy();
      progress.stop();
      throw new CliError(`decryption failed: cannot write in ${target.dir} (${error.code ?? error.message})`, 'Choose another destination.');
    },
  );
  const forget = onInterrupt(() => unlinkSync(temp));
  try {
    const counted = (async function* () {
      for await (const chunk of download.stream) {
        progress.advance((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    })();
    // The key is checked against the commitment as soon as the prefix arrives: "wrong key" and
    // "tampered with" are told apart (DecryptionError alone cannot).
    const keep = (prefix: Buffer) => (knownPrefix ? Promise.resolve() : rememberNoncePrefix(ctx, link.fileId, prefix));
    const ciphertext = commitment ? checkedAgainstCommitment(counted, dek, commitment, keep) : counted;
    const plaintext = decrypt(ciphertext, dek, {
      commitment,
      sha256: expectedHash,
      expectedSize: meta.encrypted_size_bytes,
    });
    await writePlaintext(plaintext, temp);
    const result = await plaintext.result;
    ctx.out.debug('decrypted and verified');
    progress.stop();
    await placeFile(temp, target.path, request.force);
    forget();
    if (result.legacy) {
      ctx.out.warn(
        `this file was written without structured nonces (legacy client): each frame is authentic, but order and completeness not proven${expectedHash ? '; the plaintext hash matched' : '; no plaintext hash was checked'}`,
      );
    }
    return {
      path: target.path,
      file_id: link.fileId,
      file_name: fileName,
      mode: meta.key_management_mode,
      size_bytes: result.plaintextSize,
      sha256: result.sha256,
      verified: expectedHash !== undefined,
      legacy: result.legacy,
    };
  } catch (error) {
    progress.stop();
    download.stream.destroy();
    await unlink(temp).catch(() => undefined);
    forget();
    throw decryptFailure(error, link.downloadUrl, { source, committed: commitment !== undefined });
  }
}

interface RangedInput {
  dek: Buffer;
  prefix: Buffer;
  size: number;
  target: { dir: string; path: string };
  rangeFrames: number;
  expectedHash: string | undefined;
  source: KeySource;
}

/**
 * The ranged, resumable download of a large file; undefined when the server has no download
 * sessions. The plaintext is renamed into place only after every range verified and the SHA-256
 * of the whole matched; an interrupted download keeps its verified ranges for the next run.
 */
async function inRanges(ctx: Context, request: DecryptRequest, input: RangedInput): Promise<{ sha256: string; plaintextSize: number } | undefined> {
  const { link } = request;
  let result;
  try {
    const outcome = await rangedDownload(ctx, {
      link, dek: input.dek, prefix: input.prefix, size: input.size, target: input.target,
      parallel: Math.max(1, request.parallel ?? DEFAULT_PARALLEL), rangeFrames: input.rangeFrames,
    });
    if (outcome === 'unsupported') return undefined;
    result = outcome;
  } catch (error) {
    const failure = decryptFailure(error, link.downloadUrl, { source: input.source, committed: true });
    if (error instanceof DecryptionError || !(failure instanceof CliError)) throw failure;
    const hint = 'What is verified is kept: run the same command again to resume (the download is not counted again).';
    throw failure.message.startsWith('download failed: the daily') ? failure : new CliError(failure.message.replace(/; nothing was written/i, ''), hint);
  }
  if (input.expectedHash !== undefined && result.sha256 !== input.expectedHash.toLowerCase()) {
    await unlink(result.partial).catch(() => undefined);
    await result.forget();
    throw tampered();
  }
  await placeFile(result.partial, input.target.path, request.force);
  await result.forget();
  ctx.out.debug(`decrypted and verified in ranges${result.resumedBytes > 0 ? ` (resumed: ${result.resumedBytes} bytes were on disk)` : ''}`);
  return result;
}

function positiveInt(value: string | undefined): number | undefined {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : undefined;
}

/** The directory a destination names before the file's name is known. */
async function guessDir(dest: string | undefined): Promise<string> {
  if (dest === undefined) return resolve('.');
  const info = await stat(dest).catch(() => undefined);
  return info?.isDirectory() || /[/\\]$/.test(dest) ? resolve(dest) : dirname(resolve(dest));
}

/** Where the plaintext goes: `dest` (a file, or a directory for the original name), else the current directory. */
export async function planOutput(dest: string | undefined, metaName: string, fileId: string, force: boolean): Promise<{ dir: string; path: string }> {
  const name = safeLocalName(metaName, `coffer-${fileId}`);
  let path: string;
  if (dest === undefined) {
    path = resolve(name);
  } else {
    const info = await stat(dest).catch(() => undefined);
    path = info?.isDirectory() || /[/\\]$/.test(dest) ? resolve(dest, name) : resolve(dest);
  }
  const dir = dirname(path);
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory()) throw new CliError(`decryption failed: the directory ${dir} does not exist`, 'Create it first, or choose another destination.');
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new CliError(`decryption failed: ${path} is a directory`, 'Choose another destination.');
  if (existing && !force) throw new CliError(`decryption failed: ${path} already exists`, 'Use --force to overwrite it, or give another destination.');
  return { dir, path };
}

async function fileKey(ctx: Context, request: DecryptRequest, meta: FileMeta): Promise<{ dek: Buffer; commitment?: string; source: KeySource }> {
  const metaCommitment = meta.key_commitment || undefined;
  let choice = request.key;
  if (choice.kind === 'auto') {
    if (meta.key_management_mode === 'passphrase') choice = { kind: 'passphrase' };
    else if ((await vaultExists(ctx)) || (await loadCredentials(ctx))?.server === request.link.base) choice = { kind: 'vault' };
    else {
      throw new CliError(
        'decryption failed: this file was shared in vault mode and needs its key',
        'Give the key the sender got from `coffer share` with --key (or COFFER_KEY).',
      );
    }
  }
  switch (choice.kind) {
    case 'key':
      if (meta.key_management_mode === 'passphrase') {
        throw new CliError('decryption failed: this file was shared with a passphrase, not a key', 'Give the passphrase (COFFER_PASSPHRASE, --passphrase-file or --passphrase-stdin) instead of --key or COFFER_KEY.');
      }
      return { dek: choice.key, commitment: metaCommitment, source: 'key' };
    case 'vault': {
      if (meta.key_management_mode === 'passphrase') throw new CliError('decryption failed: this file was shared with a passphrase; no key of it is kept', 'Use --passphrase.');
      const own = await ownFileKey(ctx, request.link.base, request.link.fileId, request, 'decryption');
      // A commitment kept locally at upload cannot have been altered on the server.
      return { dek: own.dek, commitment: own.commitment ?? metaCommitment, source: 'vault' };
    }
    case 'passphrase': {
      if (meta.key_management_mode !== 'passphrase' || !meta.passphrase_salt) {
        throw new CliError('decryption failed: this file was shared with a key, not a passphrase', 'Use --key with the key `coffer share` printed (or --vault on the uploader\'s machine).');
      }
      const passphrase = await readPassphrase(ctx, { file: choice.file, stdin: choice.stdin }, false);
      let params: KdfParams;
      try {
        params = meta.kdf_params ? parseKdfParams(meta.kdf_params, ctx.kdf.bounds) : DEFAULT_KDF_PARAMS;
      } catch (error) {
        throw new CliError(`decryption failed: the file's key derivation parameters are refused (${(error as Error).message})`, 'The metadata may have been tampered with; ask the sender.');
      }
      const salt = Buffer.from(meta.passphrase_salt, 'base64');
      try {
        return { dek: await deriveKeyFromPassphrase(passphrase, salt, params, { forDecryption: true, bounds: ctx.kdf.bounds }), commitment: metaCommitment, source: 'passphrase' };
      } catch (error) {
        if (error instanceof RangeError) throw new CliError(`decryption failed: ${error.message}`, 'Check the passphrase.');
        throw error;
      }
    }
  }
}

/**
 * Asks (HEAD, which counts nothing) whether today's download limit still allows a download, so
 * nobody types a passphrase for a download that will be refused. Servers without this answer are
 * simply asked with the real download.
 */
async function checkDownloadAllowed(url: string): Promise<void> {
  const answer = await headStatus(url).catch(() => undefined);
  // A HEAD answer has no body, hence no code: its status is all there is.
  if (answer?.status === 429) throw limitReached(answer.headers['retry-after']);
}

function limitReached(header: string | string[] | undefined): CliError {
  const now = Date.now();
  const seconds = parseRetryAfter(Array.isArray(header) ? header[0] : header, now);
  return new CliError('download failed: the daily download limit of this file is reached', retryHint(seconds, now));
}

async function openDownload(url: string) {
  let download;
  try {
    download = await getStream(url);
  } catch (error) {
    throw networkFailure(error, url, 'download') ?? error;
  }
  if (download.status === 200) return download;
  const answer = await readSmall(download.stream);
  const header = answer.headers['retry-after'];
  const failure: ErrorAnswer = { status: download.status, body: parseErrorBody(answer.body), retryAfter: header ?? null };
  // The Coffer server's refusals carry a code; the storage behind the redirect, and servers that
  // send no code, only a status.
  const code = errorCodeOf(failure.body);
  if (code === 'DOWNLOAD_LIMIT' || (!code && download.status === 429)) throw limitReached(header);
  if (code === 'NOT_FOUND' || (!code && download.status === 404)) throw new CliError('download failed: there is no file behind this link', 'It may have been deleted.');
  if (!code && download.status === 403) throw new CliError('download failed: storage refused the download (the signed URL expired or is invalid)', 'Try again.');
  throw httpFailure(failure, { what: 'download', server: url, nowMs: Date.now() });
}

function parseErrorBody(text: string): ReceivedErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the verified plaintext to `path` and flushes it to disk. Frames are batched into ~1 MiB
 * writev() calls with one write in flight while the next batch is decrypted, and a flush to disk
 * (fdatasync) is started every 64 MiB, so the disk writes back while we decrypt instead of all at
 * the final fsync.
 */
async function writePlaintext(plaintext: DecryptedStream, path: string): Promise<void> {
  const handle = await open(path, 'r+');
  let writing: Promise<unknown> = Promise.resolve();
  let flushing: Promise<unknown> = Promise.resolve();
  try {
    let batch: Uint8Array[] = [];
    let batchDone: (() => void)[] = [];
    let batchBytes = 0;
    let position = 0;
    let unflushed = 0;
    const flushBatch = async () => {
      await writing;
      const buffers = batch;
      const done = batchDone;
      const at = position;
      // Written chunks go back to the decryptor, which reuses their memory.
      writing = writeAll(handle, buffers, at).then(() => done.forEach((giveBack) => giveBack()));
      writing.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      position += batchBytes;
      unflushed += batchBytes;
      batch = [];
      batchDone = [];
      batchBytes = 0;
      if (unflushed >= FLUSH_EVERY) {
        unflushed = 0;
        await flushing;
        const written = writing;
        flushing = written.then(() => handle.datasync());
        flushing.catch(() => undefined);
      }
    };
    await pipeTo(plaintext, {
      async write(chunk, done) {
        batch.push(chunk);
        batchDone.push(done);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BUFFER) await flushBatch();
      },
    });
    if (batchBytes > 0) await flushBatch();
    await writing;
    await flushing;
    await handle.sync();
  } finally {
    // Settle what is in flight before closing (errors are already reported above, or irrelevant
    // because the caller deletes the file).
    await Promise.allSettled([writing, flushing]);
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let remaining = buffers;
  let at = position;
  while (remaining.length > 0) {
    const { bytesWritten } = await handle.writev(remaining, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const buffer of remaining) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    remaining = rest;
  }
}

/** Renames the finished temp file into place; without `force` an existing file is never replaced. */
async function placeFile(temp: string, path: string, force: boolean): Promise<void> {
  if (force) {
    await rename(temp, path);
    return;
  }
  try {
    // link() fails if the name exists, atomically, unlike a check followed by rename().
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`decryption failed: ${path} appeared while decrypting`, 'Use --force to overwrite it, or give another destination.');
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw error;
    // Filesystems without hard links: the best we can do is check, then rename.
    if (await stat(path).catch(() => undefined)) throw new CliError(`decryption failed: ${path} appeared while decrypting`, 'Use --force to overwrite it.');
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

function decryptFailure(error: unknown, url: string, key: { source: KeySource; committed: boolean }): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof CommitmentMismatch) return mismatchFailure(key.source, true);
  // With a commitment, the key was checked before any frame: it is the right one.
  if (error instanceof DecryptionError && key.committed) return tampered();
  if (error instanceof DecryptionError) {
    return new CliError(
      'decryption failed: wrong key, or the file is corrupted or was tampered with',
      'Nothing was written. Check the key or passphrase; if it is right, the stored file is damaged.',
    );
  }
  const network = networkFailure(error, url, 'download');
  if (network) return network;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new CliError('decryption failed: the disk is full', 'Nothing was written; free some space.');
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return new CliError('download failed: the connection broke', 'Nothing was written; try again.');
  return error;
}

