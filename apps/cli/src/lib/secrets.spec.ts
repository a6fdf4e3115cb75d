import { CliError, UsageError } from './errors';
import { readSecret, sameSecret, stripFinalNewline } from './secrets';
import { memoryIo, testContext } from '../../test/test-io';

const spec = { what: 'passphrase', envVar: 'COFFER_PASSPHRASE', alternatives: '--passphrase-file or --passphrase-stdin' };

describe('readSecret', () => {
  it('reads the environment variable', async () => {
    await expect(readSecret(testContext({ COFFER_PASSPHRASE: 'from the env' }), spec)).resolves.toBe('from the env');
  });

  it('prefers stdin when asked, dropping one final newline', async () => {
    const ctx = testContext({ COFFER_PASSPHRASE: 'env' }, {}, memoryIo('secret from stdin\n'));
    await expect(readSecret(ctx, { ...spec, stdinOption: '--passphrase-stdin' })).resolves.toBe('secret from stdin');
  });

  it('fails at once, with a hint, when there is no source and no terminal (never waits)', async () => {
    const promise = readSecret(testContext(), spec);
    await expect(promise).rejects.toThrow(new CliError('no passphrase given and no terminal to ask for it'));
    await expect(promise).rejects.toMatchObject({ hint: 'Set COFFER_PASSPHRASE, or use --passphrase-file or --passphrase-stdin.' });
  });

  it('enforces a minimum length', async () => {
    await expect(readSecret(testContext({ COFFER_PASSPHRASE: 'short' }), { ...spec, minLength: 12 })).rejects.toThrow('at least 12 characters');
  });

  it('refuses a file and stdin together', async () => {
    await expect(readSecret(testContext(), { ...spec, file: 'x', stdinOption: '--passphrase-stdin' })).rejects.toThrow(UsageError);
  });

  it('lets only one secret read stdin per run', async () => {
    const ctx = testContext({}, {}, memoryIo('one\n'));
    await readSecret(ctx, { ...spec, stdinOption: '--passphrase-stdin' });
    await expect(readSecret(ctx, { ...spec, what: 'password', stdinOption: '--password-stdin' })).rejects.toThrow(UsageError);
  });
});

describe('sameSecret', () => {
  it('tells equal secrets from different ones, whatever their lengths', () => {
    expect(sameSecret('vault password 1234', 'vault password 1234')).toBe(true);
    expect(sameSecret('vault password 1234', 'vault password 1235')).toBe(false);
    expect(sameSecret('vault password 1234', 'vault password 12345')).toBe(false);
    expect(sameSecret('', '')).toBe(true);
    expect(sameSecret('é', 'e\u0301')).toBe(false);
  });
});

describe('stripFinalNewline', () => {
  it('drops exactly one trailing newline', () => {
    expect(stripFinalNewline('a\n')).toBe('a');
    expect(stripFinalNewline('a\r\n')).toBe('a');
    expect(stripFinalNewline('a\n\n')).toBe('a\n');
    expect(stripFinalNewline(' a ')).toBe(' a ');
  });
});
