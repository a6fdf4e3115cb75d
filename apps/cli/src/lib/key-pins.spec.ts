import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyFingerprint } from '@coffer/crypto';
import { memoryIo, testContext } from '../../test/test-io';
import { loadPin, savePin } from './key-pins';

describe('key pins (keys.json)', () => {
  let home: string;
  const user = '11111111-2222-4333-8444-555555555555';

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'coffer-pins-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('pins per server and account, in a 0600 file', async () => {
    const ctx = testContext({ COFFER_HOME: home }, {}, memoryIo());
    const key = randomBytes(32);
    await savePin(ctx, 'https://a.example', user, key);
    expect(await loadPin(ctx, 'https://a.example', user)).toMatchObject({ public_key: key.toString('base64'), fingerprint: publicKeyFingerprint(key) });
    expect(await loadPin(ctx, 'https://b.example', user)).toBeUndefined();
    expect((await stat(join(home, 'keys.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a pin whose fingerprint does not match its key (edited or damaged)', async () => {
    const ctx = testContext({ COFFER_HOME: home }, {}, memoryIo());
    await savePin(ctx, 'https://a.example', user, randomBytes(32));
    const file = JSON.parse(await readFile(join(home, 'keys.json'), 'utf8'));
    file[`https://a.example|${user}`].public_key = randomBytes(32).toString('base64');
    await writeFile(join(home, 'keys.json'), JSON.stringify(file));
    await expect(loadPin(ctx, 'https://a.example', user)).rejects.toThrow(/damaged/);
  });
});
