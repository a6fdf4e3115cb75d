import * as argon2 from 'argon2';
import { ARGON2_OPTIONS, DUMMY_HASH, PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ env: 'production' });

  it('makes Argon2id PHC strings with the configured cost that verify the password and nothing else', async () => {
    const hash = await hasher.hash('correct horse battery');

    expect(hash).toMatch(/^\$argon2id\$v=19\$m=65536,p=1,t=3\$/);
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery!')).resolves.toBe(false);
  });

  it('keeps the dummy hash at the same cost as real ones, so unknown e-mails take as long', () => {
    expect(argon2.needsRehash(DUMMY_HASH, ARGON2_OPTIONS)).toBe(false);
  });

  it('answers false without a hash (unknown account), after doing the same work', async () => {
    await expect(hasher.verify(undefined, 'anything at all')).resolves.toBe(false);
  });

  it('uses a test cost only when the environment is test', async () => {
    const testCost = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
    const cheap = new PasswordHasher({ env: 'test', testPasswordHashCost: testCost });
    const hash = await cheap.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    await expect(cheap.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(cheap.verify(undefined, 'correct horse battery')).resolves.toBe(false);
    const production = new PasswordHasher({ env: 'production', testPasswordHashCost: testCost });
    expect(await production.hash('correct horse battery')).toMatch(/^\$argon2id\$v=19\$m=65536,p=1,t=3\$/);
  });

  it('answers false for a stored value that is not a PHC string', async () => {
    await expect(hasher.verify('not-a-login-password', 'not-a-login-password')).resolves.toBe(false);
  });
});
