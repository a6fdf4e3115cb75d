import { UsageError } from '../lib/errors';
import { isPassphraseMode, parallelParts, validateUploadOptions } from './upload';

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

describe('upload of large files: options', () => {
  it('sends 4 parts at once unless --parallel says otherwise (1..32)', () => {
    expect(parallelParts({ vault: true })).toBe(4);
    expect(parallelParts({ vault: true, parallel: '8' })).toBe(8);
    for (const bad of ['0', '33', '2.5', 'four', '-1', '']) expect(() => parallelParts({ vault: true, parallel: bad })).toThrow(UsageError);
  });

  it('takes files, --list-pending or --abort, one of them', () => {
    expect(() => validateUploadOptions([], { vault: true })).toThrow(UsageError);
    expect(() => validateUploadOptions([], { vault: true, listPending: true })).not.toThrow();
    expect(() => validateUploadOptions([], { vault: true, abort: 'abc' })).not.toThrow();
    expect(() => validateUploadOptions(['a'], { vault: true, listPending: true })).toThrow(UsageError);
    expect(() => validateUploadOptions([], { vault: true, listPending: true, abort: 'abc' })).toThrow(UsageError);
    expect(() => validateUploadOptions(['a'], { vault: true, parallel: '0' })).toThrow(UsageError);
  });
});
