import { randomBytes } from 'node:crypto';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call, HttpResult } from '../../../../test/helpers/http';
import { RFC3339_UTC } from './files.e2e-helpers';

const publicKey = () => randomBytes(32).toString('base64');
const bundle = (tag = randomBytes(6).toString('hex')) =>
  JSON.stringify({ v: 1, public_key: 'x', password: { tag }, recovery: null });

function putKeys(t: TestApp, user: TestUser, body: unknown): Promise<HttpResult> {
  return call(t, 'PUT', '/api/keys', { user, body });
}

function getKeys(t: TestApp, user: TestUser): Promise<HttpResult> {
  return call(t, 'GET', '/api/keys', { user });
}

describe('account keys: GET and PUT /api/keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(() => t?.close());

  const stored = (user: TestUser) => t.database.prisma.accountKey.findUnique({ where: { userId: user.id } });

  it('answers 404 before the keys exist, creates them at version 0 → 1, and reads them back', async () => {
    const alice = await createVerifiedUser(t);
    expect(await getKeys(t, alice)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', error: expect.any(String) } });

    const key = publicKey();
    const b = bundle();
    expect(await putKeys(t, alice, { public_key: key, bundle: b, version: 0 })).toMatchObject({ status: 200, body: { version: 1 } });

    const read = await getKeys(t, alice);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ public_key: key, bundle: b, version: 1, updated_at: expect.stringMatching(RFC3339_UTC) });
  });

  it('replaces the bundle at the version read, and refuses a stale version or a second create with 409 KEY_VERSION_CONFLICT, writing nothing', async () => {
    const alice = await createVerifiedUser(t);
    const key = publicKey();
    await putKeys(t, alice, { public_key: key, bundle: bundle('one'), version: 0 });
    expect(await putKeys(t, alice, { public_key: key, bundle: bundle('two'), version: 1 })).toMatchObject({ status: 200, body: { version: 2 } });
    const before = await stored(alice);

    for (const version of [1, 0, 3, 1000]) {
      const res = await putKeys(t, alice, { public_key: key, bundle: bundle('stale'), version });
      expect({ version, status: res.status, code: res.body.code }).toEqual({ version, status: 409, code: 'KEY_VERSION_CONFLICT' });
    }

    expect(await stored(alice)).toEqual(before);
    expect((await getKeys(t, alice)).body).toMatchObject({ bundle: bundle('two'), version: 2 });
  });

  it('refuses a different public key with 409 KEY_MISMATCH whatever the version, writing nothing', async () => {
    const alice = await createVerifiedUser(t);
    const key = publicKey();
    await putKeys(t, alice, { public_key: key, bundle: bundle('mine'), version: 0 });
    const before = await stored(alice);

    for (const version of [0, 1, 2]) {
      const res = await putKeys(t, alice, { public_key: publicKey(), bundle: bundle('theirs'), version });
      expect({ version, status: res.status, code: res.body.code }).toEqual({ version, status: 409, code: 'KEY_MISMATCH' });
    }
    expect(await stored(alice)).toEqual(before);
  });

  it('refuses an update of keys that do not exist with 409 KEY_VERSION_CONFLICT and creates nothing', async () => {
    const alice = await createVerifiedUser(t);
    const res = await putKeys(t, alice, { public_key: publicKey(), bundle: bundle(), version: 1 });
    expect(res).toMatchObject({ status: 409, body: { code: 'KEY_VERSION_CONFLICT' } });
    expect(await stored(alice)).toBeNull();
  });

  it('lets exactly one of concurrent writers of the same version win; the others get 409 and change nothing', async () => {
    const alice = await createVerifiedUser(t);
    const key = publicKey();
    await putKeys(t, alice, { public_key: key, bundle: bundle('start'), version: 0 });

    const tags = Array.from({ length: 12 }, (_, i) => `writer-${i}`);
    const answers = await Promise.all(tags.map((tag) => putKeys(t, alice, { public_key: key, bundle: bundle(tag), version: 1 })));

    const winners = answers.flatMap((res, i) => (res.status === 200 ? [tags[i]] : []));
    expect(winners).toHaveLength(1);
    expect(answers.filter((res) => res.status !== 200).map((res) => [res.status, res.body.code])).toEqual(
      Array.from({ length: tags.length - 1 }, () => [409, 'KEY_VERSION_CONFLICT']),
    );
    expect((await getKeys(t, alice)).body).toMatchObject({ public_key: key, bundle: bundle(winners[0]), version: 2 });
  });

  it('lets exactly one of concurrent creates win, with its public key', async () => {
    const alice = await createVerifiedUser(t);
    const keys = Array.from({ length: 12 }, () => publicKey());
    const answers = await Promise.all(keys.map((key) => putKeys(t, alice, { public_key: key, bundle: bundle(), version: 0 })));

    const winners = keys.filter((_, i) => answers[i].status === 200);
    expect(winners).toHaveLength(1);
    for (const res of answers.filter((a) => a.status !== 200)) {
      expect(res.status).toBe(409);
      expect(['KEY_MISMATCH', 'KEY_VERSION_CONFLICT']).toContain(res.body.code);
    }
    expect((await getKeys(t, alice)).body).toMatchObject({ public_key: winners[0], version: 1 });
  });

  it("serves each account its own keys only; another user's write never touches them", async () => {
    const alice = await createVerifiedUser(t);
    const bob = await createVerifiedUser(t);
    const aliceKey = publicKey();
    await putKeys(t, alice, { public_key: aliceKey, bundle: bundle('alice'), version: 0 });

    expect((await getKeys(t, bob)).status).toBe(404);
    // Bob naming Alice's key or version writes Bob's own row, never Alice's.
    expect((await putKeys(t, bob, { public_key: aliceKey, bundle: bundle('bob'), version: 1 })).status).toBe(409);
    expect(await putKeys(t, bob, { public_key: aliceKey, bundle: bundle('bob'), version: 0 })).toMatchObject({ status: 200, body: { version: 1 } });

    expect((await getKeys(t, alice)).body).toMatchObject({ bundle: bundle('alice'), version: 1 });
    expect((await getKeys(t, bob)).body).toMatchObject({ bundle: bundle('bob'), version: 1 });
  });

  it('refuses requests without a valid bearer token with 401', async () => {
    expect((await call(t, 'GET', '/api/keys')).status).toBe(401);
    const res = await call(t, 'PUT', '/api/keys', { body: { public_key: publicKey(), bundle: bundle(), version: 0 } });
    expect(res).toMatchObject({ status: 401, body: { code: 'INVALID_TOKEN' } });
  });

  describe('bad input is 400 VALIDATION_FAILED and writes nothing', () => {
    const key = randomBytes(32).toString('base64');
    const valid = { public_key: key, bundle: '{"v":1}', version: 0 };
    const cases: [string, unknown][] = [
      ['no body fields', {}],
      ['public_key missing', { bundle: valid.bundle, version: 0 }],
      ['public_key of 31 bytes', { ...valid, public_key: randomBytes(31).toString('base64') }],
      ['public_key of 33 bytes', { ...valid, public_key: randomBytes(33).toString('base64') }],
      ['public_key without padding', { ...valid, public_key: key.slice(0, 43) }],
      ['public_key in base64url', { ...valid, public_key: Buffer.alloc(32, 0xfb).toString('base64url') + '=' }],
      ['public_key not canonical (stray bits)', { ...valid, public_key: `${key.slice(0, 42)}B=` }],
      ['public_key not a string', { ...valid, public_key: 32 }],
      ['bundle empty', { ...valid, bundle: '' }],
      ['bundle not JSON', { ...valid, bundle: '{v:1}' }],
      ['bundle a JSON array', { ...valid, bundle: '[1]' }],
      ['bundle a JSON string', { ...valid, bundle: '"x"' }],
      ['bundle not a string', { ...valid, bundle: { v: 1 } }],
      ['bundle over 4096 characters', { ...valid, bundle: `{"x":"${'a'.repeat(4090)}"}` }],
      ['bundle with non-ASCII', { ...valid, bundle: '{"x":"é"}' }],
      ['bundle with a NUL', { ...valid, bundle: '{"x":"\u0000"}' }],
      ['version missing', { public_key: key, bundle: valid.bundle }],
      ['version negative', { ...valid, version: -1 }],
      ['version fractional', { ...valid, version: 1.5 }],
      ['version a string', { ...valid, version: '0' }],
      ['version over int4', { ...valid, version: 2 ** 31 }],
      ['an unknown field', { ...valid, user_id: 'someone' }],
    ];

    it.each(cases)('%s', async (_name, body) => {
      const alice = await createVerifiedUser(t);
      const res = await putKeys(t, alice, body);
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', error: expect.any(String) } });
      expect(await stored(alice)).toBeNull();
    });

    it('accepts a bundle of exactly 4096 characters', async () => {
      const alice = await createVerifiedUser(t);
      const b = `{"x":"${'a'.repeat(4096 - 8)}"}`;
      expect(b).toHaveLength(4096);
      expect((await putKeys(t, alice, { ...valid, bundle: b })).status).toBe(200);
    });
  });
});

describe('rate limit of /api/keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });
  });

  afterAll(() => t?.close());

  it('holds GET and PUT to the keys group (60 a minute per user)', async () => {
    const user = await createVerifiedUser(t);
    expect((await getKeys(t, user)).headers.get('ratelimit-limit')).toBe('60');
    expect((await putKeys(t, user, { public_key: publicKey(), bundle: bundle(), version: 0 })).headers.get('ratelimit-limit')).toBe('60');
  });
});
