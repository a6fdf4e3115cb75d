import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/domain-error';
import { PasswordGuessBudget } from '../rate-limit/password-guess-budget';
import { RefreshTokenService, SessionTokens } from '../tokens/refresh-token.service';
import { Account, AccountRepository } from './account.repository';
import { PasswordHasher } from './password-hasher';

/** What needs the account's password: logging in here, and deleting the account (its own module). */
@Injectable()
export class AccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly passwords: PasswordHasher,
    private readonly refreshTokens: RefreshTokenService,
    private readonly guesses: PasswordGuessBudget,
  ) {}

  /** A new session (refresh-token family) and its first access token. */
  async login(email: string, password: string): Promise<SessionTokens> {
    const account = await this.authenticate(email, password);
    return this.refreshTokens.startSession(account);
  }

  /**
   * One answer, in about the same time, for an unknown e-mail, an unverified account and a
   * wrong password: the password is checked (against a dummy hash if need be) in every case.
   * Every check spends one of the account's password guesses, whichever route asks
   * (RATE_LIMITED once they are used up).
   */
  async authenticate(email: string, password: string): Promise<Account> {
    await this.guesses.spend(email);
    const account = await this.accounts.findByEmail(email);
    const matches = await this.passwords.verify(account?.passwordHash, password);
    if (!account || !matches || !account.verifiedAt) {
      throw new DomainError('INVALID_CREDENTIALS', 'Wrong e-mail or password');
    }
    return account;
  }
}
