import { Inject, Injectable, Logger } from '@nestjs/common';
import { abortMultipartUploads, ownerKeyPrefix, type ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { AccountService } from '../auth/account.service';
import { OBJECT_STORE } from '../storage/storage.module';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { AccountDeletionRepository } from './account-deletion.repository';

/** Deleting an account with everything it owns, and the late sweep of its storage prefix. */
@Injectable()
export class AccountDeletionService {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    private readonly accounts: AccountService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly deletions: AccountDeletionRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Deletes the account and everything it owns. The order makes a failure at any step safe to
   * retry by calling this again: first every token dies (nothing new can be uploaded), then
   * every object under the user's prefix goes (pending uploads too), and only then the row —
   * with its files, codes and tokens by cascade, and its bytes off the service-wide totals.
   */
  async deleteAccount(email: string, password: string): Promise<void> {
    const account = await this.accounts.authenticate(email, password);
    await this.refreshTokens.revokeAllForUser(account.id);
    const prefix = ownerKeyPrefix(this.config.secrets.userIdHash, account.id);
    try {
      await this.store.deletePrefix(prefix);
      // Multipart uploads are not objects: their parts go with an abort.
      await abortMultipartUploads(this.store, prefix);
    } catch (err) {
      this.logger.error(`cannot delete the objects of account ${account.id}: ${(err as Error).message}`);
      throw new DomainError('SERVICE_UNAVAILABLE', 'Storage is unavailable; the account was not deleted, try again later', 30);
    }
    // An upload URL handed out before the deletion can still land an object: sweep once more.
    const lastUpload = this.clock.now().getTime() + this.config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS;
    await this.deletions.deleteAccount(account.id, { prefix, after: new Date(lastUpload) });
  }

  /** Sweeps the storage prefixes of deleted accounts whose last upload URL can no longer land. */
  async sweepDeletedAccounts(limit = 100): Promise<number> {
    let swept = 0;
    for (const prefix of await this.deletions.dueSweeps(this.clock.now(), limit)) {
      try {
        await this.store.deletePrefix(prefix);
        await abortMultipartUploads(this.store, prefix);
        await this.deletions.finishSweep(prefix);
        swept++;
      } catch (err) {
        // Left in place: the next run tries again.
        this.logger.warn(`cannot sweep ${prefix}: ${(err as Error).message}`);
      }
    }
    return swept;
  }
}
