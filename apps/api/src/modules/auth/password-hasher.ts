import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

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
  /** A PHC string (`$argon2id$v=19$m=65536,t=3,p=1$…`). */
  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /**
   * Whether `password` matches `hash`. Without a hash (no such account) it still does the work
   * of one verification and answers false. A hash that is not a valid PHC string never matches.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const matches = await argon2.verify(hash ?? DUMMY_HASH, password);
      return hash !== undefined && matches;
    } catch {
      return false;
    }
  }
}
