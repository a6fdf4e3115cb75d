import { UsageError } from './errors';
import { chooseKey, parseDek } from './key-choice';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('chooseKey', () => {
  it('parses --key', () => {
    expect(chooseKey({ key: KEY }, {})).toEqual({ kind: 'key', key: Buffer.alloc(32, 7), source: '--key' });
  });

  it('uses COFFER_KEY when no option is given', () => {
    expect(chooseKey({}, { COFFER_KEY: KEY })).toMatchObject({ kind: 'key', source: 'COFFER_KEY' });
  });

  it('prefers an explicit option over COFFER_KEY', () => {
    expect(chooseKey({ vault: true }, { COFFER_KEY: KEY })).toEqual({ kind: 'vault' });
  });

  it('maps the passphrase options', () => {
    expect(chooseKey({ passphraseFile: 'p.txt' }, {})).toEqual({ kind: 'passphrase', file: 'p.txt', stdin: undefined });
    expect(chooseKey({ passphraseStdin: true }, {})).toEqual({ kind: 'passphrase', file: undefined, stdin: true });
    expect(chooseKey({ passphrase: true }, {})).toMatchObject({ kind: 'passphrase' });
  });

  it('leaves the choice to the file mode when nothing is given', () => {
    expect(chooseKey({}, {})).toEqual({ kind: 'auto' });
  });

  it('refuses two ways at once', () => {
    expect(() => chooseKey({ key: KEY, vault: true }, {})).toThrow(new UsageError('--key and --vault cannot be used together'));
    expect(() => chooseKey({ passphraseFile: 'f', passphraseStdin: true }, {})).toThrow(UsageError);
  });
});

describe('parseDek', () => {
  it('accepts standard and URL-safe base64 of 32 bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i));
    expect(parseDek(bytes.toString('base64'), 'x')).toEqual(bytes);
    expect(parseDek(bytes.toString('base64url'), 'x')).toEqual(bytes);
  });

  it.each([['too short', Buffer.alloc(16).toString('base64')], ['not base64', '!!!!'], ['empty', '']])('refuses a key that is %s', (_case, text) => {
    expect(() => parseDek(text, '--key')).toThrow(UsageError);
  });
});
