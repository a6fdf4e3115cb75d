import { createHmac } from 'node:crypto';

/**
 * `usrh-<32 hex>`: the storage folder of one user, HMAC-SHA256(USER_ID_HASH_SECRET, user id)
 * cut to 16 bytes. It is also the first segment of share links, so it must not reveal the id.
 */
export function ownerPrefix(userIdHashSecret: string, userId: string): string {
  return `usrh-${createHmac('sha256', userIdHashSecret).update(userId).digest('hex').slice(0, 32)}`;
}
