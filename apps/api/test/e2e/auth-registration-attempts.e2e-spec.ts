import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { startAuthTestApp } from './auth.e2e-helpers';

/** Each registration attempt is its own pending record: a code verifies exactly the attempt it was mailed for. */
describe('registration attempts (no takeover, no squatting)', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  let n = 0;
  const address = () => `attempts-${++n}@example.com`;

  const register = async (email: string, password: string): Promise<{ code: string; text: string }> => {
    const after = t.mail.messages.length;
    expect((await call(t, 'POST', '/api/user/register', { body: { email, password } })).status).toBe(201);
    const code = await t.mail.codeFor(email, { after });
    return { code, text: t.mail.messages[t.mail.messages.length - 1].text };
  };
  const verify = (email: string, otp: string) => call(t, 'PATCH', '/api/user/verify', { body: { email, otp } });
  const resend = async (email: string) => expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email } })).status).toBe(202);
  /** Waits for `count` mails to `email` after the first `after` messages, then a moment more to see that no further one comes. */
  const mailsTo = async (email: string, after: number, count: number) => {
    if (count > 0) await t.mail.waitFor(email, { after });
    for (let waited = 0; t.mail.messages.slice(after).filter((m) => m.to.includes(email)).length < count && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    return t.mail.messages.slice(after).filter((m) => m.to.includes(email));
  };
  const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';
  /** How a mail names the time its registration was made. */
  const madeAt = (at: Date) => `${at.toISOString().slice(0, 10)} at ${at.toISOString().slice(11, 19)} UTC`;
  const loginStatus = async (email: string, password: string) => (await call(t, 'POST', '/api/user/login', { body: { email, password } })).status;

  beforeAll(async () => {
    t = await startAuthTestApp({ clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('takeover: owner registers (code A), attacker re-registers (code B to the owner), owner verifies with A → the owner’s password logs in, the attacker’s does not, and B is dead', async () => {
    const email = address();
    const a = await register(email, 'owner password');
    clock.advance(5);
    const b = await register(email, 'attacker password');
    expect(b.text).toMatch(/another registration for this address is pending/i);
    expect(a.text).not.toMatch(/another registration/i);

    expect((await verify(email, a.code)).status).toBe(204);
    expect(await loginStatus(email, 'owner password')).toBe(200);
    expect(await loginStatus(email, 'attacker password')).toBe(401);
    if (b.code !== a.code) expect((await verify(email, b.code)).status).toBe(401);
    expect(await loginStatus(email, 'attacker password')).toBe(401);
  });

  it('squatting: attacker registers first, the owner registers, verifies with their own code → the owner’s password works', async () => {
    const email = address();
    const squatter = await register(email, 'squatter password');
    clock.advance(5);
    const owner = await register(email, 'owner password');

    expect((await verify(email, owner.code)).status).toBe(204);
    expect(await loginStatus(email, 'owner password')).toBe(200);
    expect(await loginStatus(email, 'squatter password')).toBe(401);
    if (squatter.code !== owner.code) expect((await verify(email, squatter.code)).status).toBe(401);
  });

  it('one guess budget per address across codes: re-registering or a resend gives no new guesses', async () => {
    const email = address();
    const { code } = await register(email, 'owner password');
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 3; i++) expect((await verify(email, wrong(i))).status).toBe(401);
    clock.advance(61);
    const again = await register(email, 'owner password');
    expect((await call(t, 'POST', '/api/user/verify/resend', { body: { email } })).status).toBe(202);
    expect((await verify(email, wrong(3))).status).toBe(401);

    const last = await verify(email, wrong(4));
    expect(last.status).toBe(429);
    expect(last.body).toEqual({ error: expect.any(String), code: 'TOO_MANY_ATTEMPTS' });
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(60);
    expect((await verify(email, again.code)).status).toBe(429);
  });

  it('answers one message for a wrong code, an unknown address and an expired code', async () => {
    const email = address();
    const { code } = await register(email, 'owner password');
    const wrongCode = await verify(email, String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
    const unknown = await verify(address(), code);
    clock.advance(t.config.ttl.otpSeconds + 1);
    const expired = await verify(email, code);

    expect([wrongCode.status, unknown.status, expired.status]).toEqual([401, 401, 400]);
    expect(new Set([wrongCode.body.error, unknown.body.error, expired.body.error]).size).toBe(1);
  });

  it('resend mails a fresh code per live attempt, each naming when its registration was made; the owner picks theirs and gets their password', async () => {
    const email = address();
    const ownerAt = clock.now();
    const owner = await register(email, 'owner password');
    expect(owner.text).toContain(`registration made on ${madeAt(ownerAt)}`);
    clock.advance(120);
    const attackerAt = clock.now();
    await register(email, 'attacker password');
    clock.advance(61);

    const before = t.mail.messages.length;
    await resend(email);
    const mails = await mailsTo(email, before, 2);
    expect(mails).toHaveLength(2);
    const ownerMail = mails.find((m) => m.text.includes(madeAt(ownerAt)));
    const attackerMail = mails.find((m) => m.text.includes(madeAt(attackerAt)));
    expect(ownerMail).toBeDefined();
    expect(attackerMail).toBeDefined();
    for (const m of mails) expect(m.text).toMatch(/another registration for this address is pending/i);

    expect((await verify(email, codeIn(ownerMail!.text))).status).toBe(204);
    expect(await loginStatus(email, 'owner password')).toBe(200);
    expect(await loginStatus(email, 'attacker password')).toBe(401);
  });

  it('resend skips an expired attempt: when only another person’s attempt is live, the one mail names that registration’s time, not the owner’s', async () => {
    const email = address();
    const ownerAt = clock.now();
    await register(email, 'owner password');
    clock.advance(400);
    const otherAt = clock.now();
    await register(email, 'other password');
    clock.advance(t.config.ttl.otpSeconds - 399); // the owner's code has expired, the other one has not

    const before = t.mail.messages.length;
    await resend(email);
    const mails = await mailsTo(email, before, 1);
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain(`registration made on ${madeAt(otherAt)}`);
    expect(mails[0].text).not.toContain(madeAt(ownerAt));
  });

  it('a resent code extends nothing: it dies when the code it replaced would have, and an expired attempt gets no new code', async () => {
    const email = address();
    await register(email, 'owner password');
    clock.advance(300);
    const before = t.mail.messages.length;
    await resend(email);
    const [mail] = await mailsTo(email, before, 1);
    clock.advance(t.config.ttl.otpSeconds - 300 + 1);
    expect((await verify(email, codeIn(mail.text))).status).toBe(400);

    const afterExpiry = t.mail.messages.length;
    await resend(email);
    expect(await mailsTo(email, afterExpiry, 0)).toEqual([]);
    const again = await register(email, 'owner password');
    expect((await verify(email, again.code)).status).toBe(204);
  });

  it('the stock client’s register → verify {email, otp} still works, also after registering twice with the same password', async () => {
    const email = address();
    await register(email, 'same password');
    clock.advance(61);
    const again = await register(email, 'same password');
    expect((await verify(email, again.code)).status).toBe(204);
    expect(await loginStatus(email, 'same password')).toBe(200);
  });
});
