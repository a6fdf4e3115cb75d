import { UsageError } from '../lib/errors';
import { isPassphraseMode, validateUploadOptions } from './upload';

describe('upload options', () => {
  it('uses vault mode by default', () => {
    expect(isPassphraseMode({ vault: true })).toBe(false);
  });

  it.each([
    ['--passphrase', { vault: true, passphrase: true }],
    ['--no-vault', { vault: false }],
    ['--passphrase-file', { vault: true, passphraseFile: 'p' }],
    ['--passphrase-stdin', { vault: true, passphraseStdin: true }],
  ])('switches to passphrase mode with %s', (_flag, options) => {
    expect(isPassphraseMode(options)).toBe(true);
  });

  it('allows --name only with one file', () => {
    expect(() => validateUploadOptions(['a', 'b'], { vault: true, name: 'x' })).toThrow(UsageError);
    expect(() => validateUploadOptions(['a'], { vault: true, name: 'x' })).not.toThrow();
  });

  it('refuses two passphrase sources', () => {
    expect(() => validateUploadOptions(['a'], { vault: true, passphraseFile: 'p', passphraseStdin: true })).toThrow(UsageError);
  });
});
