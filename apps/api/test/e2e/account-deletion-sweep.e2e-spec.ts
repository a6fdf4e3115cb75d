import { randomUUID } from 'node:crypto';
import { ownerHash } from '@coffer/storage';
import { DeletedAccountSweepJob } from '../../src/modules/account-deletion/deleted-account-sweep.job';
import { UPLOAD_GRACE_MS } from '../../src/modules/storage/upload-grace';
import { TestApp } from '../../../../test/helpers/test-app';
import { call } from '../../../../test/helpers/http';
import { ManualClock } from '../../../../test/helpers/manual-clock';
import { registerVerified, startAuthTestApp } from './auth.e2e-helpers';
import { overwriteObject } from './files.e2e-helpers';

// Regression: an upload URL issued before an account was deleted could still store an object
// afterwards, under a prefix nothing would ever clean up again.
describe.each(['fs', 's3'] as const)('objects that land after account deletion, %s storage', (storage) => {
  const clock = new ManualClock(new Date());
  let t: TestApp;

  beforeAll(async () => {
    t = await startAuthTestApp({ storage, clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('are swept by the sweep job once every upload URL of the account has expired', async () => {
    const user = await registerVerified(t, `late-${storage}@example.com`);
    const key = `${ownerHash(t.config.secrets.userIdHash, user.id)}/${randomUUID()}`;
    const put = await t.store.presignPut(key, { contentLength: 64, expiresInSec: t.config.ttl.presignSeconds });
    const job = t.app.get(DeletedAccountSweepJob);

    expect((await call(t, 'DELETE', '/api/user', { body: { email: user.email, password: user.password } })).status).toBe(204);
    const late = await fetch(put.url, { method: 'PUT', headers: put.headers, body: Buffer.alloc(64, 1) });
    // The fs driver refuses a PUT for a deleted account's key (upload-urls.e2e-spec); S3 cannot, so it lands.
    expect(late.status).toBe(storage === 'fs' ? 403 : 200);
    if (storage === 'fs') await overwriteObject(t, key, Buffer.alloc(64, 1));
    expect(await t.store.head(key)).toEqual({ size: 64 });

    expect(await job.run()).toBe(0);
    expect(await t.store.head(key)).toEqual({ size: 64 });

    clock.advance(t.config.ttl.presignSeconds + UPLOAD_GRACE_MS / 1000 + 1);
    expect(await job.run()).toBe(1);
    expect(await t.store.head(key)).toBeUndefined();
    expect(await job.run()).toBe(0);
  });
});
