import { randomUUID } from 'node:crypto';
import { RefreshTokenService } from '../../apps/api/src/modules/tokens/refresh-token.service';
import type { TestApp } from './test-app';

export interface TestUser {
  id: string;
  email: string;
  accessToken: string;
  /** `{ Authorization: 'Bearer …' }` for fetch/supertest. */
  auth: { Authorization: string };
}

/**
 * A verified user straight in the database, with a valid access token: for tests of features
 * behind authentication that are not about registration itself. The password hash is a
 * placeholder; users that must log in go through the real register/verify flow instead.
 */
export async function createVerifiedUser(testApp: TestApp, email = `user-${randomUUID()}@example.com`): Promise<TestUser> {
  const user = await testApp.database.prisma.user.create({
    data: { email, passwordHash: 'not-a-login-password', verifiedAt: new Date() },
  });
  const { accessToken } = await testApp.app.get(RefreshTokenService).startSession(user);
  return { id: user.id, email, accessToken, auth: { Authorization: `Bearer ${accessToken}` } };
}
