import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import { FaultRelay } from '../../../../test/helpers/fault-relay';
import { SmtpCapture } from '../../../../test/helpers/smtp-capture';
import { api, InProcessApp, startInProcess } from './faults.e2e-helpers';

/**
 * SMTP down during registration, with the stock flow. What the code documents (registration
 * service): the code is mailed after the registration commits; if the mail cannot be sent, the
 * attempt is withdrawn and the client is told (503 MAIL_UNAVAILABLE) to register again later.
 */
describe('fault: SMTP unreachable during registration', () => {
  let db: TestDatabase;
  let mail: SmtpCapture;
  let relay: FaultRelay;
  let t: InProcessApp;

  beforeAll(async () => {
    [db, mail] = await Promise.all([createTestDatabase(), SmtpCapture.start()]);
    relay = await FaultRelay.start(Number(new URL(mail.url).port));
    t = await startInProcess({ databaseUrl: db.url!, dataDir: db.dataDir, env: { SMTP_URL: `smtp://127.0.0.1:${relay.port}` } });
  });

  afterAll(async () => {
    await t?.close();
    await relay?.stop();
    await mail?.stop();
    await db?.drop();
  });

  const accountsOf = (email: string) => t.database.prisma.user.count({ where: { email } });
  const codesOf = (email: string) => t.database.prisma.otpCode.count({ where: { user: { email } } });

  it('tells the client to register again (503 MAIL_UNAVAILABLE) and keeps nothing; once SMTP is back the same sign-up works', async () => {
    const email = `smtp-down-${randomUUID()}@example.com`;
    const password = 'correct horse battery';
    await relay.cut();

    const refused = await api(t.baseUrl, 'POST', '/api/user/register', { body: { email, password } });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: expect.any(String), code: 'MAIL_UNAVAILABLE' });
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await accountsOf(email)).toBe(0);
    expect(await codesOf(email)).toBe(0);
    // Nothing was left that would block the retry or answer as an account.
    expect((await api(t.baseUrl, 'POST', '/api/user/login', { body: { email, password } })).status).toBe(401);

    await relay.restore();
    expect((await api(t.baseUrl, 'POST', '/api/user/register', { body: { email, password } })).status).toBe(201);
    const otp = await mail.codeFor(email, { timeoutMs: 20_000 });
    expect((await api(t.baseUrl, 'PATCH', '/api/user/verify', { body: { email, otp } })).status).toBe(204);
    expect((await api(t.baseUrl, 'POST', '/api/user/login', { body: { email, password } })).status).toBe(200);
    expect(mail.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  }, 60_000);

  it('a second registration attempt whose mail fails is withdrawn alone: the first attempt and its code still work', async () => {
    const email = `smtp-down-${randomUUID()}@example.com`;
    expect((await api(t.baseUrl, 'POST', '/api/user/register', { body: { email, password: 'first password here' } })).status).toBe(201);
    const firstCode = await mail.codeFor(email, { timeoutMs: 20_000 });

    await relay.cut();
    const refused = await api(t.baseUrl, 'POST', '/api/user/register', { body: { email, password: 'second password here' } });
    await relay.restore();
    expect([refused.status, refused.body.code]).toEqual([503, 'MAIL_UNAVAILABLE']);
    expect(await codesOf(email)).toBe(1);

    expect((await api(t.baseUrl, 'PATCH', '/api/user/verify', { body: { email, otp: firstCode } })).status).toBe(204);
    expect((await api(t.baseUrl, 'POST', '/api/user/login', { body: { email, password: 'first password here' } })).status).toBe(200);
    expect((await api(t.baseUrl, 'POST', '/api/user/login', { body: { email, password: 'second password here' } })).status).toBe(401);
  }, 60_000);
});
