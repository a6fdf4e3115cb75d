import { uploadArguments } from './prestart';

const argv = (...args: string[]) => ['node', 'main.js', ...args];

describe('uploadArguments (the files an upload is about to read, looked at before the CLI loads)', () => {
  it('finds the files of an upload, past global options and option values', () => {
    expect(uploadArguments(argv('upload', 'a.bin'))).toEqual(['a.bin']);
    expect(uploadArguments(argv('--server', 'http://x', '--json', 'upload', '-n', 'shown', 'a.bin', '--parallel', '8', 'b.bin'))).toEqual(['a.bin', 'b.bin']);
    expect(uploadArguments(argv('upload', '--vault-password-file', 'pw', '--passphrase-file', 'pp', 'a.bin'))).toEqual(['a.bin']);
    expect(uploadArguments(argv('upload', '--', '-odd-name.bin'))).toEqual(['-odd-name.bin']);
  });

  it('finds none for other commands and for uploads that read no file', () => {
    expect(uploadArguments(argv('decrypt', 'link', 'out.bin'))).toEqual([]);
    expect(uploadArguments(argv('files', 'upload'))).toEqual([]);
    expect(uploadArguments(argv('upload', '--list-pending'))).toEqual([]);
    expect(uploadArguments(argv('upload', '--abort', 'a.bin'))).toEqual([]);
    expect(uploadArguments(argv('upload', 'a.bin', '--help'))).toEqual([]);
    expect(uploadArguments(argv())).toEqual([]);
  });
});
