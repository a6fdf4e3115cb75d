import { createHash } from 'node:crypto';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call } from '../../../../test/helpers/http';
import { DownloadsService } from '../../src/modules/downloads/downloads.service';
import { OffsetClock, STORAGE_DRIVERS, uploadFile } from './files.e2e-helpers';

const LIMIT = 3;
const HOUR_MS = 60 * 60_000;

interface SessionBody {
  session: string;
  expires_at: string;
  url: string;
  url_expires_at: string;
  size: number;
}

function startSession(t: TestApp, key: string) {
  return call(t, 'POST', `/files/download/${key}/session`);
}

function sessionUrl(t: TestApp, key: string, session: string) {
  return call(t, 'POST', `/files/download/${key}/session/url`, { body: { session } });
}

async function counted(t: TestApp, fileId: string): Promise<number> {
  const rows = await t.database.prisma.downloadCounter.findMany({ where: { fileId } });
  return rows.reduce((sum, row) => sum + row.count, 0);
}

async function range(url: string, start: number, end: number): Promise<{ status: number; bytes: Buffer; contentRange: string | null }> {
  const res = await fetch(url, { headers: { Range: `bytes=${start}-${end}` } });
  return { status: res.status, contentRange: res.headers.get('content-range'), bytes: Buffer.from(await res.arrayBuffer()) };
}

describe.each(STORAGE_DRIVERS)('download sessions with the %s storage driver (issue 19)', (storage) => {
  let t: TestApp;
  let owner: TestUser;
  const clock = new OffsetClock();

  beforeAll(async () => {
    t = await startTestApp({ storage, clock, env: { DAILY_DOWNLOAD_LIMIT: String(LIMIT), ACCESS_TOKEN_TTL_SECONDS: '2592000', DOWNLOAD_URL_TTL_SECONDS: '60' } });
    owner = await createVerifiedUser(t);
  });

  afterAll(() => t?.close());

  it('counts one download for a session however many ranges and fresh URLs it takes', async () => {
    const { key, fileId, bytes } = await uploadFile(t, owner, { size: 300_000 });

    const before = clock.now().getTime();
    const started = await startSession(t, key);

    expect(started.status).toBe(201);
    const body = started.body as SessionBody;
    expect(body).toEqual({ session: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_at: expect.any(String), url: expect.any(String), url_expires_at: expect.any(String), size: 300_000 });
    expect(Date.parse(body.expires_at)).toBeGreaterThanOrEqual(before + 24 * HOUR_MS);
    expect(Date.parse(body.expires_at)).toBeLessThanOrEqual(clock.now().getTime() + 24 * HOUR_MS);
    expect(Date.parse(body.url_expires_at)).toBeLessThanOrEqual(clock.now().getTime() + 61_000);
    // The server keeps only the token's hash.
    const rows = await t.database.prisma.downloadSession.findMany({ where: { fileId } });
    expect(rows.map((row) => Buffer.from(row.tokenHash).toString('hex'))).toEqual([createHash('sha256').update(body.session).digest('hex')]);

    const pieces: Buffer[] = [];
    const step = 65_568;
    for (let start = 0, i = 0; start < bytes.length; start += step, i++) {
      // Every other range through a fresh URL of the session, as after an expiry or a resume.
      const url = i % 2 === 0 ? body.url : ((await sessionUrl(t, key, body.session)).body as SessionBody).url;
      const end = Math.min(bytes.length, start + step) - 1;
      const piece = await range(url, start, end);
      expect([piece.status, piece.contentRange]).toEqual([206, `bytes ${start}-${end}/300000`]);
      pieces.push(piece.bytes);
    }

    expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
    expect(await counted(t, fileId)).toBe(1);
  });

  it('keeps working after the signed URL expired, until the session ends, without counting', async () => {
    const { key, fileId, bytes } = await uploadFile(t, owner, { size: 1000 });
    const body = (await startSession(t, key)).body as SessionBody;

    clock.advance(23 * HOUR_MS);
    const fresh = await sessionUrl(t, key, body.session);

    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({ url: expect.any(String), url_expires_at: expect.any(String), expires_at: body.expires_at });
    expect((await range((fresh.body as SessionBody).url, 0, 999)).bytes.equals(bytes)).toBe(true);
    // Near its end the URL does not outlive the session.
    clock.advance(HOUR_MS - 10_000);
    const last = (await sessionUrl(t, key, body.session)).body as SessionBody;
    expect(Date.parse(last.url_expires_at)).toBeLessThanOrEqual(Date.parse(body.expires_at));

    clock.advance(10_000);
    const expired = await sessionUrl(t, key, body.session);
    expect(expired).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await counted(t, fileId)).toBe(1);
    expect(await t.app.get(DownloadsService).pruneSessions()).toBeGreaterThanOrEqual(1);
    expect(await t.database.prisma.downloadSession.count({ where: { fileId } })).toBe(0);
  });

  it("refuses a session of another file, an unknown or malformed token, and a deleted file's session", async () => {
    const a = await uploadFile(t, owner);
    const b = await uploadFile(t, owner);
    const session = ((await startSession(t, a.key)).body as SessionBody).session;

    expect(await sessionUrl(t, b.key, session)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await sessionUrl(t, a.key, `${session.slice(0, -1)}${session.endsWith('A') ? 'B' : 'A'}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    for (const bad of ['', 'short', `${session}=`, 42, null]) {
      expect(await sessionUrl(t, a.key, bad as string)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    }
    expect((await call(t, 'DELETE', `/api/files?id=${a.fileId}`, { user: owner })).status).toBe(204);
    expect(await sessionUrl(t, a.key, session)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await counted(t, b.fileId)).toBe(0);
  });

  it('counts a session against the daily limit like a plain download, and refuses one past it', async () => {
    const { key, fileId } = await uploadFile(t, owner);
    const first = ((await startSession(t, key)).body as SessionBody).session;
    expect((await call(t, 'GET', `/files/download/${key}`)).status).toBe(303);
    expect((await startSession(t, key)).status).toBe(201);

    const refused = await startSession(t, key);

    expect(refused).toMatchObject({ status: 429, body: { code: 'DOWNLOAD_LIMIT' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await t.database.prisma.downloadSession.count({ where: { fileId } })).toBe(2);
    // A session already open still gets URLs: its download was counted before the limit.
    expect((await sessionUrl(t, key, first)).status).toBe(200);
    expect(await counted(t, fileId)).toBe(LIMIT);
  });

  it('leaves the stock GET unchanged: 303 to the whole blob, no session', async () => {
    const { key, fileId, bytes } = await uploadFile(t, owner, { size: 5000 });

    const res = await fetch(`${t.baseUrl}/files/download/${key}`, { redirect: 'manual' });

    expect(res.status).toBe(303);
    const blob = await fetch(res.headers.get('location')!);
    expect(blob.status).toBe(200);
    expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await t.database.prisma.downloadSession.count({ where: { fileId } })).toBe(0);
    expect(await counted(t, fileId)).toBe(1);
  });

  it('answers 404 for a session of a link that is not an uploaded file, counting nothing', async () => {
    const { key, fileId } = await uploadFile(t, owner);
    const [hash] = key.split('/');
    for (const path of [`${hash}/00000000-0000-4000-8000-000000000000`, `${hash}/not-a-uuid`, `usrh-zz/${fileId}`]) {
      expect({ path, status: (await startSession(t, path)).status }).toEqual({ path, status: 404 });
    }
    expect(await counted(t, fileId)).toBe(0);
  });
});
