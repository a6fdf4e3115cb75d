import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { APP_CONFIG, type AppConfig, type PasswordHashCost } from '../../config/app-config';

/**
 * Argon2id with 64 MiB of memory, 3 passes and one lane (RFC 9106's second recommendation, with
 * one lane so that concurrent logins do not compete for the same cores): about 0.3 s per hash
 * on the development machines. Each hash runs on libuv's thread pool (4 threads by default),
 * which also bounds the memory spent on concurrent logins.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 64 * 1024, timeCost: 3, parallelism: 1 } as const;

/**
 * A hash of 32 random bytes nobody knows, with the same parameters: verifying against it costs
 * what verifying a real password costs, so a login for an unknown e-mail takes as long as a
 * wrong password. It guards nothing, so it can live in the source.
 */
export const DUMMY_HASH = '$argon2id$v=19$m=65536,p=1,t=3$7W1zr4IPKG+YSeEYcWYAGg$DSwBXHw+2WUXK0N18KfOmZpwsAeTBENWat26S3c47C0';

@Injectable()
export class PasswordHasher {
  private readonly options: typeof ARGON2_OPTIONS | (PasswordHashCost & { type: typeof argon2.argon2id });
  private dummyHash: Promise<string> | undefined;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'env' | 'testPasswordHashCost'>) {
    const testCost = config.env === 'test' ? config.testPasswordHashCost : undefined;
    this.options = testCost ? { type: argon2.argon2id, ...testCost } : ARGON2_OPTIONS;
  }

  /** A PHC string (`$argon2id$v=19$m=65536,t=3,p=1$…`). */
  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /**
   * Whether `password` matches `hash`. Without a hash (no such account) it still does the work
   * of one verification and answers false. A hash that is not a valid PHC string never matches.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const matches = await argon2.verify(hash ?? (await this.dummy()), password);
      return hash !== undefined && matches;
    } catch {
      return false;
    }
  }

  /** DUMMY_HASH, or under a test cost a hash of that cost (made once). */
  private dummy(): Promise<string> {
    if (this.options === ARGON2_OPTIONS) return Promise.resolve(DUMMY_HASH);
    this.dummyHash ??= argon2.hash(randomBytes(32), this.options);
    return this.dummyHash;
  }
}
