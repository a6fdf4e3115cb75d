import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { toRfc3339 } from '../../src/common/rfc3339';
import { decodeJwtPart, login, registerVerified, startAuthTestApp, whoami } from './auth.e2e-helpers';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

describe('accounts and sessions (docs/API.md rows 5–11)', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  let n = 0;
  const email = (name = 'user') => `${name}-${++n}@example.com`;

  beforeAll(async () => {
    t = await startAuthTestApp({ clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('register → code from the mail → verify → login → refresh → revoke, with every status and field exact', async () => {
    const address = email('alice');

    const registered = await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('content-type')).toMatch(/^application\/json/);
    expect(registered.body).toEqual({ id: expect.stringMatching(UUID), created_at: expect.stringMatching(RFC3339_UTC), updated_at: expect.stringMatching(RFC3339_UTC), email: address });
    expect(registered.body.created_at).toBe(toRfc3339(clock.now()));

    const mail = await t.mail.waitFor(address);
    expect(mail.subject).toBe('Your Coffer verification code');
    const otp = await t.mail.codeFor(address);
    expect(otp).toMatch(/^\d{6}$/);

    const loginBeforeVerify = await call(t, 'POST', '/api/user/login', { body: { email: address, password: 'correct horse battery' } });
    expect(loginBeforeVerify.status).toBe(401);

    const verified = await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp } });
    expect(verified.status).toBe(204);
    expect(verified.body).toBe('');

    const loggedIn = await call(t, 'POST', '/api/user/login', { body: { email: address, password: 'correct horse battery' } });
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.body).toEqual({ access_token: expect.stringMatching(JWT), refresh_token: expect.stringMatching(REFRESH_TOKEN) });
    expect(decodeJwtPart(loggedIn.body.access_token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwtPart(loggedIn.body.access_token, 1);
    expect(claims).toEqual({ sub: registered.body.id, ver: 0, sid: expect.stringMatching(UUID), iat: expect.any(Number), exp: expect.any(Number), iss: 'coffer' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
    expect(await whoami(t, loggedIn.body.access_token)).toMatchObject({ status: 200, body: { id: registered.body.id } });

    const refreshed = await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: loggedIn.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({ access_token: expect.stringMatching(JWT) });
    expect((await whoami(t, refreshed.body.access_token)).status).toBe(200);

    const revoked = await call(t, 'POST', '/api/token/revoke', { body: { refresh_token: loggedIn.body.refresh_token } });
    expect(revoked.status).toBe(204);
    expect(revoked.body).toBe('');

    const afterRevoke = await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: loggedIn.body.refresh_token } });
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body).toEqual({ error: expect.any(String), code: 'INVALID_TOKEN' });
  });

  describe('register', () => {
    it('treats "Foo@Example.com " and "foo@example.com" as the same account', async () => {
      const local = `foo-${++n}`;
      const registered = await call(t, 'POST', '/api/user/register', { body: { email: ` ${local.toUpperCase()}@Example.com `, password: 'correct horse battery' } });
      expect(registered.status).toBe(201);
      expect(registered.body.email).toBe(`${local}@example.com`);

      const otp = await t.mail.codeFor(`${local}@example.com`);
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: `${local}@example.com`, otp } })).status).toBe(204);

      expect((await call(t, 'POST', '/api/user/login', { body: { email: `${local.toUpperCase()}@EXAMPLE.COM`, password: 'correct horse battery' } })).status).toBe(200);
      const again = await call(t, 'POST', '/api/user/register', { body: { email: `${local}@example.com`, password: 'another password' } });
      expect(again.status).toBe(409);
      expect(again.body).toEqual({ error: expect.any(String), code: 'ALREADY_REGISTERED' });
    });

    it('keeps each registration attempt apart: the later attempt’s code sets the later password, and the earlier code then stops working', async () => {
      const address = email('squatted');
      const first = await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'squatter password' } });
      const oldCode = await t.mail.codeFor(address);
      const after = t.mail.messages.length;
      clock.advance(5);

      const second = await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'owner password' } });
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(second.body.created_at).toBe(toRfc3339(clock.now()));
      const newCode = await t.mail.codeFor(address, { after });

      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: newCode } })).status).toBe(204);
      if (oldCode !== newCode) {
        expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: oldCode } })).status).toBe(401);
      }
      expect((await call(t, 'POST', '/api/user/login', { body: { email: address, password: 'squatter password' } })).status).toBe(401);
      expect((await call(t, 'POST', '/api/user/login', { body: { email: address, password: 'owner password' } })).status).toBe(200);
    });

    it.each([
      ['an invalid e-mail', { email: 'not-an-email', password: 'correct horse battery' }],
      ['an e-mail without a domain', { email: 'alice@', password: 'correct horse battery' }],
      ['a missing e-mail', { password: 'correct horse battery' }],
      ['a password shorter than 8', { email: 'short@example.com', password: '1234567' }],
      ['a password longer than 1024', { email: 'long@example.com', password: 'x'.repeat(1025) }],
      ['a password that is not a string', { email: 'num@example.com', password: 12345678 }],
      ['an unknown field', { email: 'extra@example.com', password: 'correct horse battery', admin: true }],
    ])('answers 400 for %s and sends nothing', async (_case, body) => {
      const before = t.mail.messages.length;
      const res = await call(t, 'POST', '/api/user/register', { body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: expect.any(String), code: 'VALIDATION_FAILED' });
      expect(t.mail.messages.length).toBe(before);
    });

    it('accepts a password of exactly 8 characters', async () => {
      expect((await call(t, 'POST', '/api/user/register', { body: { email: email(), password: '12345678' } })).status).toBe(201);
    });

    it('keeps no account when the mail cannot be sent, and answers 503 MAIL_UNAVAILABLE', async () => {
      const broken = await startAuthTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:1' } });
      try {
        const res = await call(broken, 'POST', '/api/user/register', { body: { email: 'nomail@example.com', password: 'correct horse battery' } });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: expect.any(String), code: 'MAIL_UNAVAILABLE' });
        expect(await broken.database.prisma.user.count()).toBe(0);
        expect(await broken.database.prisma.otpCode.count()).toBe(0);
      } finally {
        await broken.close();
      }
    });
  });

  describe('verify', () => {
    it('voids the code after five wrong ones: the fifth answers 429, and so does the right code afterwards', async () => {
      const address = email('guesser');
      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const otp = await t.mail.codeFor(address);
      const wrong = otp === '000000' ? '111111' : '000000';

      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: wrong } })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);

      const sixth = await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp } });
      expect(sixth.status).toBe(429);
      expect(sixth.body).toEqual({ error: expect.any(String), code: 'TOO_MANY_ATTEMPTS' });
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(t, 'POST', '/api/user/login', { body: { email: address, password: 'correct horse battery' } })).status).toBe(401);
    });

    it('counts parallel guesses atomically: 20 at once never make more than five comparisons', async () => {
      const address = email('parallel');
      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const otp = await t.mail.codeFor(address);
      const guesses = Array.from({ length: 20 }, (_, i) => String((Number(otp) + 1 + i) % 1_000_000).padStart(6, '0'));

      const statuses = await Promise.all(guesses.map((guess) => call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: guess } }).then((r) => r.status)));

      expect(statuses.filter((s) => s === 401).length).toBe(4);
      expect(statuses.filter((s) => s === 429).length).toBe(16);
      const budget = await t.database.prisma.otpAttemptBudget.findUniqueOrThrow({ where: { email: address } });
      expect(budget.attempts).toBe(5);
    });

    it('answers 400 CODE_EXPIRED once the code has expired; a resend then mails nothing, registering again gives a code that works', async () => {
      const address = email('late');
      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const otp = await t.mail.codeFor(address);
      clock.advance(601);

      const expired = await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp } });
      expect(expired.status).toBe(400);
      expect(expired.body).toEqual({ error: expect.any(String), code: 'CODE_EXPIRED' });

      const after = t.mail.messages.length;
      expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email: address } })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.mail.messages.length).toBe(after);

      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const fresh = await t.mail.codeFor(address, { after });
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: fresh } })).status).toBe(204);
    });

    it('answers 401 for an unknown e-mail and for an account that is already verified', async () => {
      const unknown = await call(t, 'PATCH', '/api/user/verify', { body: { email: 'nobody@example.com', otp: '123456' } });
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual({ error: expect.any(String), code: 'INVALID_CODE' });

      const user = await registerVerified(t, email());
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: user.email, otp: '123456' } })).status).toBe(401);
    });

    it('answers 400 for a malformed body', async () => {
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: 'a@example.com', otp: 123456 } })).status).toBe(400);
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: 'a@example.com' } })).status).toBe(400);
    });
  });

  describe('resend', () => {
    it('answers 202 for unknown, pending and verified e-mails alike, and mails only the pending one', async () => {
      const pending = email('pending');
      await call(t, 'POST', '/api/user/register', { body: { email: pending, password: 'correct horse battery' } });
      await t.mail.codeFor(pending);
      const verified = await registerVerified(t, email('verified'));
      clock.advance(61);
      const before = t.mail.messages.length;

      for (const address of ['nobody-at-all@example.com', pending, verified.email]) {
        const res = await call(t, 'POST', '/api/user/verify/resend', { body: { email: address } });
        expect(res.status).toBe(202);
        expect(res.body).toBe('');
      }

      await t.mail.waitFor(pending, { after: before });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(t.mail.messages.slice(before).map((m) => m.to)).toEqual([[pending]]);
    });

    it('voids the older code, and sends nothing more within the 60-second cooldown', async () => {
      const address = email('resend');
      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const first = await t.mail.codeFor(address);
      const afterFirst = t.mail.messages.length;

      expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email: address } })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.mail.messages.length).toBe(afterFirst);

      clock.advance(61);
      expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email: ` ${address.toUpperCase()}` } })).status).toBe(202);
      const second = await t.mail.codeFor(address, { after: afterFirst });

      if (first !== second) {
        expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: first } })).status).toBe(401);
      }
      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp: second } })).status).toBe(204);
    });
  });

  describe('login', () => {
    it('answers one uniform 401 for an unknown e-mail, an unverified account and a wrong password', async () => {
      const user = await registerVerified(t, email());
      const pending = email('unverified');
      await call(t, 'POST', '/api/user/register', { body: { email: pending, password: 'correct horse battery' } });

      const answers = await Promise.all([
        call(t, 'POST', '/api/user/login', { body: { email: 'nobody@example.com', password: 'correct horse battery' } }),
        call(t, 'POST', '/api/user/login', { body: { email: pending, password: 'correct horse battery' } }),
        call(t, 'POST', '/api/user/login', { body: { email: user.email, password: 'wrong password' } }),
      ]);

      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ error: 'Wrong e-mail or password', code: 'INVALID_CREDENTIALS' });
      }
    });

    it('starts a new session per login, each with its own refresh token', async () => {
      const user = await registerVerified(t, email());
      const a = await login(t, user.email, user.password);
      const b = await login(t, user.email, user.password);

      expect(a.refresh_token).not.toBe(b.refresh_token);
      expect(await t.database.prisma.refreshTokenFamily.count({ where: { userId: user.id } })).toBe(2);
      await call(t, 'POST', '/api/token/revoke', { body: { refresh_token: a.refresh_token } });
      expect((await call(t, 'POST', '/api/token/refresh', { body: { refresh_token: b.refresh_token } })).status).toBe(200);
    });

    it('answers 400 for a malformed body', async () => {
      expect((await call(t, 'POST', '/api/user/login', { body: { email: 'a@example.com' } })).status).toBe(400);
      expect((await call(t, 'POST', '/api/user/login', { body: { email: ['a@example.com'], password: 'x' } })).status).toBe(400);
    });
  });

  describe('revoke', () => {
    it('answers 204 when nothing matched, and 400 for a malformed body', async () => {
      expect((await call(t, 'POST', '/api/token/revoke', { body: { refresh_token: 'no-such-token' } })).status).toBe(204);
      const malformed = await call(t, 'POST', '/api/token/revoke', { body: {} });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({ error: expect.any(String), code: 'VALIDATION_FAILED' });
      expect((await call(t, 'POST', '/api/token/revoke', { body: { refresh_token: 42 } })).status).toBe(400);
    });
  });

  it('documents every account and session route in the OpenAPI document', async () => {
    const res = await call(t, 'GET', '/api/docs-json');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/user/register', '/api/user/verify', '/api/user/verify/resend', '/api/user/login', '/api/user', '/api/token/refresh', '/api/token/revoke']),
    );
    expect(res.body.paths['/api/user/register'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RegisterResponse' });
  });

  it('never logs a code when mail goes out over SMTP', async () => {
    const logged = jest.spyOn(Logger.prototype, 'log');
    try {
      const address = email('quiet');
      await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } });
      const otp = await t.mail.codeFor(address);
      expect(logged.mock.calls.flat().join(' ')).not.toContain(otp);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('mail without SMTP_URL (the outbox)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startAuthTestApp({ env: { SMTP_URL: '' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes each mail to DATA_DIR/outbox readable by the owner only, and logs its code for the developer', async () => {
    const logged = jest.spyOn(Logger.prototype, 'log');
    try {
      const address = 'offline@example.com';
      expect((await call(t, 'POST', '/api/user/register', { body: { email: address, password: 'correct horse battery' } })).status).toBe(201);

      const outbox = t.config.mail.outboxDir;
      expect(outbox).toBe(path.join(t.config.dataDir, 'outbox'));
      expect((await stat(outbox)).mode & 0o777).toBe(0o700);
      const [file] = await readdir(outbox);
      expect((await stat(path.join(outbox, file))).mode & 0o777).toBe(0o600);
      const content = await readFile(path.join(outbox, file), 'utf8');
      expect(content).toContain(`To: ${address}`);
      const otp = /\b(\d{6})\b/.exec(content.split('\r\n\r\n')[1])![1];
      expect(logged.mock.calls.flat().join(' ')).toContain(`verification code ${otp}`);

      expect((await call(t, 'PATCH', '/api/user/verify', { body: { email: address, otp } })).status).toBe(204);
      expect(t.mail.messages).toEqual([]);
    } finally {
      logged.mockRestore();
    }
  });
});
