import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client';

export interface AccountKeysRecord {
  userId: string;
  publicKey: string;
  bundle: string;
  version: number;
  updatedAt: Date;
}

export interface AccountKeysWrite {
  userId: string;
  publicKey: string;
  bundle: string;
  /** The version the client read; 0 creates. */
  expectedVersion: number;
  now: Date;
}

/**
 * What a write did. `written`: the new version. `refused`: nothing changed (the version was not
 * the stored one, or a different public key is stored), with the public key stored when the
 * refusal was decided (null: none). `no-account`: the user no longer exists.
 */
export type AccountKeysWriteOutcome =
  | { kind: 'written'; version: number }
  | { kind: 'refused'; storedPublicKey: string | null }
  | { kind: 'no-account' };

/**
 * The only Prisma access to `account_keys`. Every query names the owner. A write is ONE conditional
 * statement (INSERT … ON CONFLICT DO NOTHING for a create, UPDATE … WHERE version = read version
 * AND public_key = same key otherwise), so of concurrent writers of one version exactly one
 * succeeds and a refused write changes nothing.
 */
@Injectable()
export class AccountKeysRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async find(userId: string): Promise<AccountKeysRecord | undefined> {
    const row = await this.prisma.accountKey.findUnique({ where: { userId } });
    return row ? { userId: row.userId, publicKey: row.publicKey, bundle: row.bundle, version: row.version, updatedAt: row.updatedAt } : undefined;
  }

  async write(w: AccountKeysWrite): Promise<AccountKeysWriteOutcome> {
    let rows: { version: number | null; stored_public_key: string | null }[];
    try {
      rows = w.expectedVersion === 0 ? await this.create(w) : await this.update(w);
    } catch (err) {
      // The account was deleted between the token check and the insert (foreign key).
      if (!(await this.accountExists(w.userId))) return { kind: 'no-account' };
      throw err;
    }
    const { version, stored_public_key: seen } = rows[0];
    if (version !== null) return { kind: 'written', version };
    // Null: nothing was visible to this statement's snapshot; a concurrent create may have
    // committed since (the conflict that refused this one). Read it to name the refusal.
    const stored = seen ?? (await this.find(w.userId))?.publicKey ?? null;
    if (stored === null && !(await this.accountExists(w.userId))) return { kind: 'no-account' };
    return { kind: 'refused', storedPublicKey: stored };
  }

  private create(w: AccountKeysWrite) {
    return this.prisma.$queryRaw<{ version: number | null; stored_public_key: string | null }[]>`
      WITH created AS (
        INSERT INTO account_keys (user_id, public_key, bundle, version, created_at, updated_at)
        SELECT id, ${w.publicKey}, ${w.bundle}, 1, ${w.now}::timestamptz, ${w.now}::timestamptz FROM users WHERE id = ${w.userId}::uuid
        ON CONFLICT (user_id) DO NOTHING
        RETURNING version
      )
      SELECT (SELECT version FROM created) AS version,
             (SELECT public_key FROM account_keys WHERE user_id = ${w.userId}::uuid) AS stored_public_key`;
  }

  private update(w: AccountKeysWrite) {
    return this.prisma.$queryRaw<{ version: number | null; stored_public_key: string | null }[]>`
      WITH updated AS (
        UPDATE account_keys SET bundle = ${w.bundle}, version = version + 1, updated_at = ${w.now}::timestamptz
        WHERE user_id = ${w.userId}::uuid AND version = ${w.expectedVersion}::int AND public_key = ${w.publicKey}
        RETURNING version
      )
      SELECT (SELECT version FROM updated) AS version,
             (SELECT public_key FROM account_keys WHERE user_id = ${w.userId}::uuid) AS stored_public_key`;
  }

  private async accountExists(userId: string): Promise<boolean> {
    return (await this.prisma.user.count({ where: { id: userId } })) === 1;
  }
}
