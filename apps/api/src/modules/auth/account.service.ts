import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import { ownerHash } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OBJECT_STORE } from '../storage/storage.module';
import { UPLOAD_GRACE_MS } from '../storage/upload-grace';
import { AccessTokenService } from '../tokens/access-token.service';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import { Account, AccountRepository } from './account.repository';
import { PasswordHasher } from './password-hasher';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

/** What needs the account's password: logging in, and deleting the account. */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);

  constructor(
    private readonly accounts: AccountRepository,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenService,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** A new session (refresh-token family) and its first access token. */
  async login(email: string, password: string): Promise<SessionTokens> {
    const account = await this.checkCredentials(email, password);
    return { accessToken: this.accessTokens.issue(account), refreshToken: await this.refreshTokens.startFamily(account.id) };
  }

  /**
   * Deletes the account and everything it owns. The order makes a failure at any step safe to
   * retry by calling this again: first every token dies (nothing new can be uploaded), then
   * every object under the user's prefix goes (pending uploads too), and only then the row —
   * with its files, codes and tokens by cascade, and its bytes off the service-wide totals.
   */
  async deleteAccount(email: string, password: string): Promise<void> {
    const account = await this.checkCredentials(email, password);
    await this.refreshTokens.revokeAllForUser(account.id);
    const prefix = `${ownerHash(this.config.secrets.userIdHash, account.id)}/`;
    try {
      await this.store.deletePrefix(prefix);
    } catch (err) {
      this.logger.error(`cannot delete the objects of account ${account.id}: ${(err as Error).message}`);
      throw new DomainError('SERVICE_UNAVAILABLE', 'Storage is unavailable; the account was not deleted, try again later');
    }
    // An upload URL handed out before the deletion can still land an object: sweep once more.
    const lastUpload = this.clock.now().getTime() + this.config.ttl.presignSeconds * 1000 + UPLOAD_GRACE_MS;
    await this.accounts.deleteWithUsage(account.id, { prefix, after: new Date(lastUpload) });
  }

  /** Sweeps the storage prefixes of deleted accounts whose last upload URL can no longer land. */
  async sweepDeletedAccounts(limit = 100): Promise<number> {
    let swept = 0;
    for (const prefix of await this.accounts.dueSweeps(this.clock.now(), limit)) {
      try {
        await this.store.deletePrefix(prefix);
        await this.accounts.finishSweep(prefix);
        swept++;
      } catch (err) {
        // Left in place: the next run tries again.
        this.logger.warn(`cannot sweep ${prefix}: ${(err as Error).message}`);
      }
    }
    return swept;
  }

  /**
   * One answer, in about the same time, for an unknown e-mail, an unverified account and a
   * wrong password: the password is checked (against a dummy hash if need be) in every case.
   */
  private async checkCredentials(email: string, password: string): Promise<Account> {
    const account = await this.accounts.findByEmail(email);
    const matches = await this.passwords.verify(account?.passwordHash, password);
    if (!account || !matches || !account.verifiedAt) {
      throw new DomainError('INVALID_CREDENTIALS', 'Wrong e-mail or password');
    }
    return account;
  }
}
