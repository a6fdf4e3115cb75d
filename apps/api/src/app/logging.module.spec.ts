import { prettyTransport } from './logging.module';

describe('prettyTransport', () => {
  it('gives a person at a development terminal readable lines', () => {
    expect(prettyTransport('development', true)).toMatchObject({ target: 'pino-pretty' });
  });

  it.each([
    ['development', false],
    ['production', true],
    ['production', false],
    ['test', true],
  ] as const)('keeps JSON lines in %s mode when stdout is a terminal: %s', (env, terminal) => {
    expect(prettyTransport(env, terminal)).toBeUndefined();
  });

  it('names a transport that is installed', () => {
    expect(() => require.resolve(prettyTransport('development', true)!.target)).not.toThrow();
  });
});
