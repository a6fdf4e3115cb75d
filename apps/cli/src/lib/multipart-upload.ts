import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { MultipartPresignResponse } from '@coffer/contract';
import { blobParts, deriveKeyFromPassphrase, encryptMetadata, keyCommitment, sealFileKey, verifyKeyCommitment, type BlobPart } from '@coffer/crypto';
import type { CofferApi, CompleteAnswer } from './coffer-api';
import type { Context } from './context';
import { onInterrupt } from './cleanup';
import { CliError } from './errors';
import { formatBytes, shortId } from './format';
import { MultipartApi, PartsToResend, UploadGone, UploadRefused } from './multipart-api';
import { rememberNames } from './name-cache';
import { PartSender } from './part-sender';
import { startProgress } from './progress';
import { RecordWriter, removeRecord, saveRecord, type ResumeRecord } from './resume-record';
import { buildShareLink } from './share-link';
import { SourceChanged, SourceHasher } from './source-hasher';
import type { UploadKeying, UploadResult } from './upload-types';
import { vaultFailure } from './vault-access';

/** What the file is shown and sent as; the same for a fresh and a resumed upload. */
export interface MultipartFile {
  /** The path as given (for messages) and as an absolute path (the record's key). */
  path: string;
  sourcePath: string;
  fileName: string;
  mediaType: string;
  /** Name and hash travel only in the encrypted metadata record. */
  hidden: boolean;
  keying: UploadKeying;
  parallel: number;
}

/** Complete rounds that re-send parts storage does not hold as sent. */
const RESEND_ROUNDS = 2;

/**
 * Starts a multipart upload the server just planned: the resume record (with the key) is on disk
 * before the first part is sent, so any interruption from here on can be resumed.
 */
export async function startMultipart(
  ctx: Context,
  api: CofferApi,
  file: MultipartFile,
  presigned: MultipartPresignResponse,
  key: { dek: Buffer; passphraseSalt: string },
  source: { size: number; mtimeMs: number },
): Promise<UploadResult> {
  const noncePrefix = randomBytes(7);
  const record: ResumeRecord = {
    version: 1,
    file_id: presigned.file_id,
    server: api.baseUrl,
    source: { path: file.sourcePath, size: source.size, mtime_ms: source.mtimeMs },
    mode: file.keying.mode,
    ...(file.keying.mode === 'vault' ? { key: key.dek.toString('base64') } : {}),
    passphrase_salt: key.passphraseSalt,
    ...(file.keying.mode === 'passphrase' ? { kdf_params: { ...ctx.kdf.passphrase } } : {}),
    nonce_prefix: noncePrefix.toString('hex'),
    commitment: keyCommitment(key.dek, noncePrefix),
    part_size: presigned.multipart.part_size,
    part_count: presigned.multipart.part_count,
    parts: {},
    created_at: new Date().toISOString(),
  };
  const parts = planParts(record);
  try {
    await saveRecord(ctx, record);
  } catch (error) {
    await api.deleteFile(record.file_id, 'discarding the upload').catch(() => undefined);
    throw new CliError(`upload of ${file.path} failed: cannot write its resume record: ${(error as Error).message}`, `Check that ${ctx.home} is writable.`);
  }
  ctx.out.debug(`${file.path}: multipart upload ${record.file_id}, ${record.part_count} parts of ${formatBytes(record.part_size)}, ${file.parallel} at a time`);
  return runUpload(ctx, api, file, new RecordWriter(ctx, record), key.dek, parts, false);
}

/**
 * Continues the pending upload of `record`, or answers `undefined` when it cannot be continued
 * (the source changed, the server dropped it): it is then aborted and its record deleted, and the
 * caller starts over with a fresh key.
 */
export async function resumeMultipart(ctx: Context, api: CofferApi, file: MultipartFile, record: ResumeRecord): Promise<UploadResult | undefined> {
  const what = `upload of ${file.path}`;
  const id = shortId(record.file_id);
  if (record.mode !== file.keying.mode) {
    throw new CliError(`${what}: a pending upload of this file was started in ${record.mode} mode`, `Run it again in ${record.mode} mode to continue, or discard it with \`coffer upload --abort ${id}\`.`);
  }
  let dek: Buffer;
  if (file.keying.mode === 'passphrase') {
    dek = await deriveKeyFromPassphrase(file.keying.passphrase, Buffer.from(record.passphrase_salt, 'base64'), record.kdf_params, { bounds: ctx.kdf.bounds, forDecryption: true });
    if (!verifyKeyCommitment(dek, Buffer.from(record.nonce_prefix, 'hex'), record.commitment)) {
      throw new CliError(`${what}: this is not the passphrase the pending upload was started with`, `Give the same passphrase to continue, or discard it with \`coffer upload --abort ${id}\`.`);
    }
  } else {
    dek = Buffer.from(record.key ?? '', 'base64');
  }
  const now = await stat(record.source.path).catch(() => undefined);
  if (!now || now.size !== record.source.size || now.mtimeMs !== record.source.mtime_ms) {
    ctx.out.warn(`${file.path} changed since its upload was interrupted: the pending upload ${id} is discarded and the file uploaded again with a fresh key`);
    await abandon(ctx, api, record);
    return undefined;
  }
  const mapi = new MultipartApi(api);
  let stored;
  try {
    stored = await mapi.uploadedParts(record.file_id, what);
  } catch (error) {
    if (!(error instanceof UploadGone)) throw error;
    ctx.out.warn(`the server no longer has the pending upload ${id} (aborted or expired): uploading ${file.path} again with a fresh key`);
    await removeRecord(ctx, record.file_id);
    return undefined;
  }
  // Only parts storage holds as this device sent them count as done.
  const held = new Map(stored.parts.map((p) => [p.part_number, p]));
  const parts = planParts(record);
  for (const part of parts) {
    const entry = record.parts[part.partNumber];
    const storedPart = held.get(part.partNumber);
    if (entry?.etag !== undefined && (stored.state !== 'completing' && (!storedPart || unquote(storedPart.etag) !== unquote(entry.etag) || storedPart.size !== part.encryptedSize))) delete entry.etag;
  }
  const writer = new RecordWriter(ctx, record);
  try {
    return await runUpload(ctx, api, file, writer, dek, parts, true);
  } catch (error) {
    if (!(error instanceof SourceChanged && error.whileVerifying)) throw error;
    ctx.out.warn(`${file.path} is not what was uploaded before (${error.message}): the pending upload ${id} is discarded and the file uploaded again with a fresh key`);
    return undefined;
  }
}

/** The parts of the record's plan, checked against the source's size. */
function planParts(record: ResumeRecord): BlobPart[] {
  const parts = blobParts(record.source.size, record.part_size);
  if (parts.length !== record.part_count) {
    throw new CliError(`the server planned ${record.part_count} parts of ${record.part_size} bytes for a file that needs ${parts.length}`, 'Update coffer, or upload without multipart.');
  }
  return parts;
}

async function runUpload(ctx: Context, api: CofferApi, file: MultipartFile, writer: RecordWriter, dek: Buffer, parts: BlobPart[], resumed: boolean): Promise<UploadResult> {
  const record = writer.record;
  const what = `upload of ${file.path}`;
  const id = shortId(record.file_id);
  const mapi = new MultipartApi(api);
  const confirmed = (partNumber: number) => record.parts[partNumber]?.etag !== undefined;
  const abort = new AbortController();
  let interrupted = false;
  const confirmedCount = () => parts.filter((p) => confirmed(p.partNumber)).length;
  let hasher: SourceHasher | undefined;
  const forgetInterrupt = onInterrupt(async () => {
    // Not discarded: the record stays, so the same command continues where this one stopped.
    interrupted = true;
    hasher?.stop();
    abort.abort(new CliError(`${what} was interrupted`));
    await writer.settled();
    ctx.io.stderr.write(
      `\n${what} paused: ${confirmedCount()} of ${parts.length} parts are uploaded (file id ${record.file_id}).\n` +
        `Run the same command again to continue, or \`coffer upload --abort ${id}\` to discard it.\n`,
    );
  });
  let input;
  try {
    input = await open(record.source.path, 'r');
  } catch (error) {
    forgetInterrupt();
    throw new CliError(`${what} failed: ${(error as Error).message}`, 'Check the path.');
  }
  try {
    await recordKeyInVault(ctx, file.keying, record.file_id, dek, record.commitment);
    const total = parts.reduce((sum, p) => sum + p.encryptedSize, 0);
    const resumedBytes = parts.filter((p) => confirmed(p.partNumber)).reduce((sum, p) => sum + p.encryptedSize, 0);
    if (resumed) ctx.out.notice(`Continuing the upload of ${file.path}: ${confirmedCount()} of ${parts.length} parts (${formatBytes(resumedBytes)}) were uploaded before; checking them against the file first.`);
    hasher = new SourceHasher(
      input.fd,
      parts,
      (n) => record.parts[n]?.sha256,
      confirmed,
      (n, sha256) => writer.update((r) => void (r.parts[n] = { sha256 })),
      file.parallel * 2,
    );
    const progress = startProgress(ctx, file.fileName.length > 24 ? `${file.fileName.slice(0, 23)}…` : file.fileName, total, { resumedBytes });
    const sender = new PartSender({ fd: input.fd, dek, noncePrefix: Buffer.from(record.nonce_prefix, 'hex'), writer, hasher, api: mapi, progress, parallel: file.parallel, signal: abort.signal, what });
    let sha256: string;

    const hashing = hasher.run();
    // A changed source stops the senders at once, with itself as the reason.
    hashing.catch((error: unknown) => abort.abort(error));
    try {
      await sender.sendAll(parts.filter((p) => !confirmed(p.partNumber)));
      sha256 = await hashing;
    } finally {
      progress.stop();
      // Nothing may read the descriptor (or bind a hash) once it is closed.
      hasher.stop();
      await hashing.catch(() => undefined);
    }
    // The pass that hashed the whole file and the passes that sent it saw the same file.
    const after = await stat(record.source.path);
    if (after.size !== record.source.size || after.mtimeMs !== record.source.mtime_ms) throw new SourceChanged('the file changed while it was uploaded', false);
    const completed = await completeUpload(ctx, mapi, sender, file, writer, dek, parts, sha256);
    await writer.remove();
    if (file.hidden) await rememberNames(ctx, { [record.file_id]: file.fileName });
    return {
      path: file.path,
      file_id: record.file_id,
      file_name: file.fileName,
      link: buildShareLink(api.baseUrl, completed.s3_object_key),
      mode: file.keying.mode,
      size_bytes: record.source.size,
      encrypted_size_bytes: completed.uploaded_file_size,
      plaintext_sha256: sha256,
      sealed: file.keying.mode === 'vault' && file.keying.seal !== undefined,
    };
  } catch (error) {
    if (interrupted) throw new CliError(`${what} was interrupted`);
    if (error instanceof SourceChanged) {
      await abandon(ctx, api, record);
      await forgetKeyInVault(file.keying, record.file_id);
      if (error.whileVerifying) throw error;
      throw new CliError(`${file.path} changed while it was read (${error.message}); the upload was discarded`, 'Upload it again once it no longer changes.');
    }
    if (error instanceof UploadGone || error instanceof UploadRefused) {
      await writer.remove().catch(() => undefined);
      throw error;
    }
    if (error instanceof CliError && error.hint?.includes('continue')) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`${reason} (${confirmedCount()} of ${parts.length} parts are uploaded)`, `Run the same command again to continue, or \`coffer upload --abort ${id}\` to discard it.`, undefined, { cause: error });
  } finally {
    forgetInterrupt();
    await input.close();
  }
}

async function completeUpload(
  ctx: Context,
  mapi: MultipartApi,
  sender: PartSender,
  file: MultipartFile,
  writer: RecordWriter,
  dek: Buffer,
  parts: BlobPart[],
  sha256: string,
): Promise<CompleteAnswer> {
  const record = writer.record;
  const what = `upload of ${file.path}`;
  const size = record.source.size;
  const keying = file.keying;
  const request = () => ({
    file_id: record.file_id,
    plaintext_hash: file.hidden ? '' : sha256,
    plaintext_size_bytes: size,
    passphrase_salt: record.passphrase_salt,
    key_commitment: record.commitment,
    kdf_params: record.kdf_params,
    sealed_key: keying.mode === 'vault' && keying.seal ? sealFileKey(dek, record.file_id, keying.seal.publicKey) : undefined,
    encrypted_metadata: file.hidden ? encryptMetadata({ name: file.fileName, media_type: file.mediaType, sha256, size }, dek, record.file_id) : undefined,
    nonce_prefix: record.nonce_prefix,
    parts: parts.map((p) => ({ part_number: p.partNumber, etag: record.parts[p.partNumber].etag! })),
  });
  for (let round = 0; ; round++) {
    try {
      return await mapi.complete(request(), what);
    } catch (error) {
      if (!(error instanceof PartsToResend) || round === RESEND_ROUNDS) throw error;
      // Storage lost or holds other bytes for some parts: send those again (the same bytes, checked).
      const stored = await mapi.uploadedParts(record.file_id, what);
      const held = new Map(stored.parts.map((p) => [p.part_number, p]));
      const resend = parts.filter((p) => {
        const s = held.get(p.partNumber);
        return !s || unquote(s.etag) !== unquote(record.parts[p.partNumber]?.etag ?? '') || s.size !== p.encryptedSize;
      });
      ctx.out.debug(`complete: storage does not hold parts ${resend.map((p) => p.partNumber).join(', ')} as sent; sending them again`);
      await sender.sendAll(resend);
    }
  }
}

/** The local vault gets the key before complete when it is the only place it is kept. */
async function recordKeyInVault(ctx: Context, keying: UploadKeying, fileId: string, dek: Buffer, commitment: string): Promise<void> {
  if (keying.mode !== 'vault' || !keying.vault) return;
  try {
    const vault = await keying.vault.open();
    await vault.put(fileId, dek, commitment);
  } catch (error) {
    const failure = vaultFailure(error, ctx.vaultDir);
    if (!keying.seal) throw failure;
    if (!keying.vaultWarned) {
      keying.vaultWarned = true;
      ctx.out.warn(`the key was not recorded in the local vault (${failure instanceof Error ? failure.message : String(failure)}); it is sealed to your account key on the server, and \`coffer keys sync\` copies it into the vault later`);
    }
  }
}

/** Best effort: the key of a discarded upload leaves the local vault it was put in. */
async function forgetKeyInVault(keying: UploadKeying, fileId: string): Promise<void> {
  if (keying.mode !== 'vault' || !keying.vault) return;
  try {
    await (await keying.vault.open()).remove(fileId);
  } catch {
    /* the vault could not be opened: nothing was put in it either */
  }
}

/** Aborts the upload on the server (best effort) and deletes its record. */
export async function abandon(ctx: Context, api: CofferApi, record: ResumeRecord): Promise<void> {
  try {
    await api.deleteFile(record.file_id, 'discarding the pending upload');
  } catch (error) {
    ctx.out.debug(`could not abort pending upload ${record.file_id}: ${(error as Error).message}`);
  }
  await removeRecord(ctx, record.file_id);
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
