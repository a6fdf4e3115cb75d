import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { AccountKeysRecord, AccountKeysRepository } from './account-keys.repository';

export interface PutAccountKeys {
  publicKey: string;
  bundle: string;
  /** The version the client read; 0 creates. */
  version: number;
}

/**
 * The account key pair of issue 16: the public key and the client-wrapped private key (an
 * opaque bundle), served to the account's own sessions only. The public key is fixed once set;
 * the bundle changes (password change, recovery code) under optimistic concurrency.
 */
@Injectable()
export class AccountKeysService {
  constructor(
    private readonly keys: AccountKeysRepository,
    private readonly clock: Clock,
  ) {}

  async get(userId: string): Promise<AccountKeysRecord> {
    const keys = await this.keys.find(userId);
    if (!keys) throw new DomainError('NOT_FOUND', 'This account has no keys yet');
    return keys;
  }

  /** Returns the new version. */
  async put(userId: string, input: PutAccountKeys): Promise<number> {
    const outcome = await this.keys.write({
      userId,
      publicKey: input.publicKey,
      bundle: input.bundle,
      expectedVersion: input.version,
      now: this.clock.now(),
    });
    switch (outcome.kind) {
      case 'written':
        return outcome.version;
      case 'no-account':
        throw new DomainError('INVALID_TOKEN', 'The account of this token no longer exists');
      case 'refused':
        if (outcome.storedPublicKey !== null && outcome.storedPublicKey !== input.publicKey) {
          throw new DomainError('KEY_MISMATCH', 'This account already has a different public key; it cannot be replaced');
        }
        throw new DomainError(
          'KEY_VERSION_CONFLICT',
          outcome.storedPublicKey === null
            ? `This account has no keys to update at version ${input.version}; create them with version 0`
            : `The account keys changed since version ${input.version} was read; read them again`,
        );
    }
  }
}
