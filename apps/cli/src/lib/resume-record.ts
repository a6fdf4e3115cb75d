import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '@coffer/state-files';
import type { KdfParams } from '@coffer/contract';
import type { Context } from './context';
import { CliError } from './errors';
import { readJsonFile, removeFile } from './state-files';

/**
 * The resume record of one multipart upload: `COFFER_HOME/uploads/<file id>.json` (0600 in a 0700
 * directory, written atomically). In vault mode it holds the FILE KEY until the upload ends (it is
 * what lets a rerun continue with the same key and nonce prefix); it is deleted once the upload is
 * completed or aborted. In passphrase mode it holds only the salt: the key is derived again from
 * the passphrase and checked against the commitment.
 */
export interface ResumeRecord {
  version: 1;
  file_id: string;
  server: string;
  source: { path: string; size: number; mtime_ms: number };
  mode: 'vault' | 'passphrase';
  /** Vault mode: the file key, base64. Absent in passphrase mode. */
  key?: string;
  passphrase_salt: string;
  kdf_params?: KdfParams;
  nonce_prefix: string;
  commitment: string;
  part_size: number;
  part_count: number;
  /**
   * By part number: the plaintext SHA-256 the part's nonces are bound to (recorded before the part
   * is first sent), and the ETag once storage confirmed the part.
   */
  parts: Record<string, { sha256: string; etag?: string }>;
  created_at: string;
}

const RECORD_NAME = /^[0-9a-f-]{36}\.json$/;

export function uploadsDir(ctx: Context): string {
  return join(ctx.home, 'uploads');
}

function recordPath(ctx: Context, fileId: string): string {
  return join(uploadsDir(ctx), `${fileId}.json`);
}

export async function saveRecord(ctx: Context, record: ResumeRecord): Promise<void> {
  await ensurePrivateDir(ctx.home);
  await ensurePrivateDir(uploadsDir(ctx));
  await writeFileAtomic(recordPath(ctx, record.file_id), `${JSON.stringify(record)}\n`);
}

export async function removeRecord(ctx: Context, fileId: string): Promise<void> {
  await removeFile(recordPath(ctx, fileId));
}

/** Every record under COFFER_HOME (unreadable ones are skipped with a warning). */
export async function listRecords(ctx: Context): Promise<ResumeRecord[]> {
  let names: string[];
  try {
    names = await readdir(uploadsDir(ctx));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: ResumeRecord[] = [];
  for (const name of names.filter((n) => RECORD_NAME.test(n)).sort()) {
    try {
      const record = await readJsonFile<ResumeRecord>(join(uploadsDir(ctx), name));
      if (record && record.version === 1 && typeof record.file_id === 'string') records.push(record);
    } catch (error) {
      ctx.out.warn(`skipping unreadable resume record ${name}: ${(error as Error).message}`);
    }
  }
  return records;
}

/** The pending upload of `sourcePath` (absolute) to `server`, if this device started one. */
export async function findRecord(ctx: Context, server: string, sourcePath: string): Promise<ResumeRecord | undefined> {
  return (await listRecords(ctx)).find((r) => r.server === server && r.source.path === sourcePath);
}

/** A record by file id, id prefix or source path; undefined when none, a CliError when ambiguous. */
export async function recordFor(ctx: Context, server: string, idOrPath: string, absolutePath: string): Promise<ResumeRecord | undefined> {
  const records = (await listRecords(ctx)).filter((r) => r.server === server);
  const byPath = records.find((r) => r.source.path === absolutePath);
  if (byPath) return byPath;
  const byId = records.filter((r) => r.file_id.startsWith(idOrPath.toLowerCase()));
  if (byId.length > 1) throw new CliError(`"${idOrPath}" matches ${byId.length} pending uploads`, 'Give more characters of the file id (see `coffer upload --list-pending`).');
  return byId[0];
}

/** Record writes of one upload, one after another (parts finish concurrently). */
export class RecordWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: Context,
    readonly record: ResumeRecord,
  ) {}

  /** Applies `change` and writes the record; resolves once it is on disk. */
  update(change: (record: ResumeRecord) => void): Promise<void> {
    const next = this.chain.then(async () => {
      change(this.record);
      await saveRecord(this.ctx, this.record);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write asked for so far is done (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  async remove(): Promise<void> {
    await this.chain;
    await removeRecord(this.ctx, this.record.file_id);
  }
}
