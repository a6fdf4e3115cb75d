import { randomUUID } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import type { TestUser } from '../../../../test/helpers/users';
import { login, Registered, registerVerified, startAuthTestApp, whoami } from './auth.e2e-helpers';
import { overwriteObject, presign, putBlob, uploadFile } from './files.e2e-helpers';

describe.each(['fs', 's3'] as const)('DELETE /api/user with %s storage', (storage) => {
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    t = await startAuthTestApp({ storage });
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Puts an object under the key through a presigned PUT, as a client upload would. */
  async function upload(key: string, size: number): Promise<void> {
    // Behind the server's back: the fs driver's endpoint refuses keys with no pending file.
    await overwriteObject(t, key, Buffer.alloc(size, 7));
    expect(await t.store.head(key)).toEqual({ size });
  }

  it('removes every object, file row, token and code of the user, kills its access tokens and frees its bytes', async () => {
    const user = await registerVerified(t, `leaving-${storage}-${++n}@example.com`);
    const bystander = await registerVerified(t, `staying-${storage}-${++n}@example.com`);
    const session = await login(t, user.email, user.password);
    const bystanderSession = await login(t, bystander.email, bystander.password);
    const prisma = t.database.prisma;

    const prefix = ownerHash(t.config.secrets.userIdHash, user.id);
    const asUser = (who: Registered, accessToken: string): TestUser => ({ id: who.id, email: who.email, accessToken, auth: { Authorization: `Bearer ${accessToken}` } });
    // Through the real upload path, so the ledger's counters are the ones the server keeps.
    const uploaded = { id: (await uploadFile(t, asUser(user, session.access_token), { size: 300 })).fileId };
    const presigned = await presign(t, asUser(user, session.access_token), { file_name: 'b.bin', mime_type: 'application/octet-stream', size: 200 });
    expect(presigned.status).toBe(200);
    expect(await putBlob(presigned.body.upload_resource, Buffer.alloc(200, 7))).toBe(200);
    const pending = { id: presigned.body.file_id };
    const bystanderKey = (await uploadFile(t, asUser(bystander, bystanderSession.access_token), { size: 50 })).key;
    const usageBefore = await prisma.storageUsage.findUniqueOrThrow({ where: { id: 1 } });

    const res = await call(t, 'DELETE', '/api/user', { body: { email: ` ${user.email.toUpperCase()}`, password: user.password } });

    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect((await whoami(t, session.access_token)).status).toBe(401);
    expect((await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: session.refresh_token } })).status).toBe(401);
    expect((await call(t, 'POST', '/api/user/login', { body: { email: user.email, password: user.password } })).status).toBe(401);
    expect(await t.store.head(`${prefix}/${uploaded.id}`)).toBeUndefined();
    expect(await t.store.head(`${prefix}/${pending.id}`)).toBeUndefined();
    expect(await t.store.deletePrefix(`${prefix}/`)).toBe(0);
    expect(await prisma.user.count({ where: { id: user.id } })).toBe(0);
    expect(await prisma.file.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.refreshTokenFamily.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.otpCode.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.storageUsage.findUniqueOrThrow({ where: { id: 1 } })).toEqual({
      id: 1,
      usedBytes: usageBefore.usedBytes - 300n,
      reservedBytes: usageBefore.reservedBytes - 200n,
    });

    // Nobody else is touched.
    expect(await t.store.head(bystanderKey)).toEqual({ size: 50 });
    expect((await whoami(t, bystanderSession.access_token)).status).toBe(200);

    // The e-mail is free again.
    expect((await call(t, 'POST', '/api/user/register', { body: { email: user.email, password: 'a new password' } })).status).toBe(201);
  });

  it('answers 401 for a wrong password, an unknown e-mail and an unverified account, and deletes nothing', async () => {
    const user = await registerVerified(t, `careful-${storage}-${++n}@example.com`);
    const key = `${ownerHash(t.config.secrets.userIdHash, user.id)}/${randomUUID()}`;
    await upload(key, 10);
    const pending = `pending-${storage}-${++n}@example.com`;
    await call(t, 'POST', '/api/user/register', { body: { email: pending, password: 'correct horse battery' } });

    for (const body of [
      { email: user.email, password: 'wrong password' },
      { email: `nobody-${storage}@example.com`, password: 'correct horse battery' },
      { email: pending, password: 'correct horse battery' },
    ]) {
      const res = await call(t, 'DELETE', '/api/user', { body });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), code: 'INVALID_CREDENTIALS' });
    }
    expect(await t.store.head(key)).toEqual({ size: 10 });
    expect((await call(t, 'POST', '/api/user/login', { body: { email: user.email, password: user.password } })).status).toBe(200);
  });

  it('needs no bearer token, and answers 400 for a malformed body', async () => {
    expect((await call(t, 'DELETE', '/api/user', { body: { email: 'a@example.com' } })).status).toBe(400);
    expect((await call(t, 'DELETE', '/api/user')).status).toBe(400);
  });
});
