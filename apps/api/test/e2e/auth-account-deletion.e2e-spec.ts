import { randomUUID } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { login, registerVerified, startAuthTestApp, whoami } from './auth.e2e-helpers';

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
    const put = await t.store.presignPut(key, { contentLength: size, expiresInSec: 60 });
    const res = await fetch(put.url, { method: put.method, headers: put.headers, body: Buffer.alloc(size, 7) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(await t.store.head(key)).toEqual({ size });
  }

  it('removes every object, file row, token and code of the user, kills its access tokens and frees its bytes', async () => {
    const user = await registerVerified(t, `leaving-${storage}-${++n}@example.com`);
    const bystander = await registerVerified(t, `staying-${storage}-${++n}@example.com`);
    const session = await login(t, user.email, user.password);
    const bystanderSession = await login(t, bystander.email, bystander.password);
    const prisma = t.database.prisma;

    const prefix = ownerHash(t.config.secrets.userIdHash, user.id);
    const uploaded = { id: randomUUID(), size: 300 };
    const pending = { id: randomUUID(), size: 200 };
    await upload(`${prefix}/${uploaded.id}`, uploaded.size);
    await upload(`${prefix}/${pending.id}`, pending.size);
    const bystanderKey = `${ownerHash(t.config.secrets.userIdHash, bystander.id)}/${randomUUID()}`;
    await upload(bystanderKey, 50);
    const expires = new Date(Date.now() + 60_000);
    await prisma.file.createMany({
      data: [
        { id: uploaded.id, userId: user.id, fileName: 'a.bin', mimeType: 'application/octet-stream', status: 'uploaded', objectKey: `${prefix}/${uploaded.id}`, encryptedSizeBytes: 300n, uploadExpiresAt: expires },
        { id: pending.id, userId: user.id, fileName: 'b.bin', mimeType: 'application/octet-stream', status: 'pending', objectKey: `${prefix}/${pending.id}`, reservedBytes: 200n, uploadExpiresAt: expires },
      ],
    });
    await prisma.user.update({ where: { id: user.id }, data: { usedBytes: 300n, reservedBytes: 200n, fileCount: 2 } });
    await prisma.storageUsage.update({ where: { id: 1 }, data: { usedBytes: { increment: 300n + 1000n }, reservedBytes: { increment: 200n + 10n } } });
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
