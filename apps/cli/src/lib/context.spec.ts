import { testContext } from '../../test/test-io';

describe('Context.server', () => {
  it('prefers --server over COFFER_SERVER', async () => {
    const ctx = testContext({ COFFER_SERVER: 'http://env.example' }, { server: 'http://flag.example/' });
    await expect(ctx.server()).resolves.toEqual({ url: 'http://flag.example', source: 'flag' });
  });

  it('uses COFFER_SERVER, then the default', async () => {
    await expect(testContext({ COFFER_SERVER: 'http://env.example' }).server()).resolves.toEqual({ url: 'http://env.example', source: 'env' });
    await expect(testContext().server()).resolves.toEqual({ url: 'http://127.0.0.1:8080', source: 'default' });
  });

  it('keeps its state under COFFER_HOME', () => {
    const ctx = testContext({ COFFER_HOME: '/tmp/h' });
    expect([ctx.configFile, ctx.credentialsFile, ctx.vaultDir]).toEqual(['/tmp/h/config.json', '/tmp/h/credentials.json', '/tmp/h/vault']);
  });
});
