import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * What a ranged download keeps beside its temporary file so that running the same command again
 * continues it: the session that was counted, and each finished range's proof (the SHA-256 of its
 * frames' GCM tags, which a rerun compares with the plaintext on disk encrypted again, before
 * trusting it). No key material. Mode 0600: the session token fetches the file without counting a
 * download.
 */
export interface DownloadRecord {
  /** 2 since the proofs replaced the plaintext SHA-256 of version 1. */
  version: 2;
  file_id: string;
  target: string;
  size: number;
  nonce_prefix: string;
  range_frames: number;
  session?: { token: string; expires_at: string };
  /** Range index → its proof (`RangeDecryptor`), once its plaintext is in the temporary file. */
  done: Record<string, string>;
}

export interface DownloadFiles {
  /** The plaintext being assembled, renamed into place once everything verified. */
  partial: string;
  record: string;
}

/** Names derived from the file and the destination: the same command finds them again. */
export function downloadFiles(dir: string, fileId: string, target: string): DownloadFiles {
  const base = `.coffer-${fileId}-${createHash('sha256').update(target).digest('hex').slice(0, 12)}`;
  return { partial: join(dir, `${base}.partial`), record: join(dir, `${base}.download.json`) };
}

export async function readRecord(path: string): Promise<DownloadRecord | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Omit<DownloadRecord, 'version'> & { version: number };
    if (!value || typeof value.done !== 'object' || value.done === null) return undefined;
    if (value.version === 2) return value as DownloadRecord;
    // A record of an older CLI: its session still counts, its ranges (by plaintext hash) are fetched again.
    if (value.version === 1) return { ...value, version: 2, done: {} };
    return undefined;
  } catch {
    // Missing, or cut short by a crash while it was replaced: start over.
    return undefined;
  }
}

/** Replaces the record atomically (a crash leaves the old or the new one, never half of one). */
export async function writeRecord(path: string, record: DownloadRecord): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Whether `dir` holds a ranged download of this file that a rerun would resume. */
export async function anyRecordFor(dir: string, fileId: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((name) => name.startsWith(`.coffer-${fileId}-`) && name.endsWith('.download.json'));
}

/** Deletes the record and any copy of it a killed run left half-written. */
export async function forgetRecord(path: string): Promise<void> {
  await removeQuietly(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(prefix) && name.endsWith('.tmp')).map((name) => removeQuietly(join(dirname(path), name))));
}
