import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createTestDatabase, TestDatabase } from '../../../../test/helpers/database';
import { FaultRelay } from '../../../../test/helpers/fault-relay';
import { SmtpCapture } from '../../../../test/helpers/smtp-capture';
import { Answer, api, checkLedger, completeBody, freePort, putBlob, ServerProcess, signUp, until, viaPort } from './faults.e2e-helpers';

const SIZE = 4096;

/**
 * PostgreSQL going away under load, without touching the machine's shared PostgreSQL: the app
 * reaches it through a relay that drops every connection and refuses new ones, then comes back.
 */
describe('fault: PostgreSQL unreachable under load', () => {
  let db: TestDatabase;
  let mail: SmtpCapture;
  let relay: FaultRelay;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    [db, mail] = await Promise.all([createTestDatabase(), SmtpCapture.start()]);
    if (!db.url) throw new Error('this test needs PostgreSQL (DATABASE_URL)');
    relay = await FaultRelay.start(Number(new URL(db.url).port || 5432));
  });

  afterAll(async () => {
    await server?.kill9();
    await relay?.stop();
    await mail?.stop();
    await db?.drop();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while it is down, never a 500 or a hang, and recovers without a restart', async () => {
    server = await ServerProcess.start(await freePort(), { DATABASE_URL: viaPort(db.url!, relay.port), DATA_DIR: db.dataDir, SMTP_URL: mail.url });
    const token = await signUp(server.baseUrl, mail);
    const base = server.baseUrl;

    // Load: list, usage and whole presign → PUT → complete flows, each worker one request after another.
    const answers: { phase: 'up' | 'down' | 'back'; route: string; answer: Answer }[] = [];
    let phase: 'up' | 'down' | 'back' = 'up';
    let stop = false;
    const record = (route: string, answer: Answer) => answers.push({ phase, route, answer });
    const worker = async (n: number) => {
      for (let i = 0; !stop; i++) {
        if ((n + i) % 3 === 0) record('GET /api/files/all', await api(base, 'GET', '/api/files/all', { token }));
        else if ((n + i) % 3 === 1) record('GET /api/user/usage', await api(base, 'GET', '/api/user/usage', { token }));
        else {
          const presign = await api(base, 'POST', '/api/files/presign', { token, body: { file_name: 'load.bin', mime_type: 'application/octet-stream', size: SIZE } });
          record('POST /api/files/presign', presign);
          if (presign.status !== 200) continue;
          const { url, headers } = presign.body.upload_resource;
          const put = await fetch(url, { method: 'PUT', headers, body: randomBytes(SIZE) });
          const text = await put.text();
          record('PUT blob', { status: put.status, body: text ? JSON.parse(text) : undefined, headers: put.headers });
          record('POST /api/files/complete', await api(base, 'POST', '/api/files/complete', { token, body: completeBody(presign.body.file_id, SIZE) }));
        }
      }
    };
    // Steps the test takes itself while the database is down: an upload not sent yet, one sent but not completed.
    const presignOne = async () => (await api(base, 'POST', '/api/files/presign', { token, body: { file_name: 'mine.bin', mime_type: 'application/octet-stream', size: SIZE } })).body;
    const [unsent, uncompleted] = [await presignOne(), await presignOne()];
    const bytes = randomBytes(SIZE);
    expect(await putBlob(uncompleted.upload_resource, bytes)).toBe(200);

    const answeredIn = (p: string) => answers.filter((a) => a.phase === p).length;
    const workers = [0, 1, 2].map(worker);
    await until('answers with the database up', () => (answeredIn('up') >= 15 ? true : undefined));

    await relay.cut();
    phase = 'down';
    await until('answers with the database down', () => (answeredIn('down') >= 30 ? true : undefined), 45_000);
    const readyWhileDown = await api(base, 'GET', '/api/readyz');
    const putWhileDown = await fetch(unsent.upload_resource.url, { method: 'PUT', headers: unsent.upload_resource.headers, body: bytes });
    const whileDown = {
      put: { status: putWhileDown.status, retryAfter: putWhileDown.headers.get('retry-after'), body: await putWhileDown.json() },
      complete: await api(base, 'POST', '/api/files/complete', { token, body: completeBody(uncompleted.file_id, SIZE) }),
      remove: await api(base, 'DELETE', `/api/files?id=${unsent.file_id}`, { token }),
    };

    await relay.restore();
    phase = 'back';
    await until('the app to serve again by itself', async () => ((await api(base, 'GET', '/api/files/all', { token })).status === 200 ? true : undefined), 45_000);
    await until('more answers after the database came back', () => (answeredIn('back') >= 15 ? true : undefined), 45_000);
    stop = true;
    await Promise.all(workers);

    expect(server.running).toBe(true);
    expect(whileDown.put).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), body: { error: expect.any(String), code: 'STORAGE_UNAVAILABLE' } });
    for (const answer of [whileDown.complete, whileDown.remove]) {
      expect([answer.status, answer.body.code, Number(answer.headers.get('retry-after')) > 0]).toEqual([503, 'SERVICE_UNAVAILABLE', true]);
    }
    // Nothing of those was lost: the upload and the completion go through once the database is back.
    expect(await putBlob(unsent.upload_resource, bytes)).toBe(200);
    expect((await api(base, 'POST', '/api/files/complete', { token, body: completeBody(unsent.file_id, SIZE) })).status).toBe(200);
    expect((await api(base, 'POST', '/api/files/complete', { token, body: completeBody(uncompleted.file_id, SIZE) })).status).toBe(200);
    const listed = (await api(base, 'GET', '/api/files/all', { token })).body as { file_id: string; status: string }[];
    expect(listed.filter((f) => [unsent.file_id, uncompleted.file_id].includes(f.file_id)).map((f) => f.status)).toEqual(['uploaded', 'uploaded']);
    expect(readyWhileDown.status).toBe(503);
    expect(readyWhileDown.body).toMatchObject({ database: 'down' });
    const unexpected = answers.filter(({ answer }) => ![200, 503].includes(answer.status));
    expect(unexpected.map((a) => `${a.phase} ${a.route} ${a.answer.status} ${JSON.stringify(a.answer.body)}`)).toEqual([]);
    const refused = answers.filter(({ answer }) => answer.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const { route, answer } of refused) {
      // The fs driver's upload endpoint has its own code for "cannot take it now".
      expect(answer.body).toEqual({ error: expect.any(String), code: route === 'PUT blob' ? 'STORAGE_UNAVAILABLE' : 'SERVICE_UNAVAILABLE' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Once back, everything succeeds again (the first answers may still race the reconnect).
    expect(answers.filter((a) => a.phase === 'back').slice(-10).map((a) => a.answer.status)).toEqual(Array(10).fill(200));

    // No quota drift: every counter equals what the files hold, whatever was cut half way.
    const ledger = await checkLedger(db.url!);
    expect(ledger.drifted).toEqual([]);
    expect(ledger.totals.counters).toEqual(ledger.totals.files);
    // No partial object: every object on disk is a complete upload (temporary files are removed on failure).
    const blobs = `${db.dataDir}/blobs`;
    const temps = (fs.readdirSync(blobs, { recursive: true }) as string[]).filter((f) => f.includes('~'));
    expect(temps).toEqual([]);
  }, 120_000);
});
