import type { CofferApi, FileDetails } from './coffer-api';
import { CliError, UsageError } from './errors';
import { resolveOneFile } from './resolve-file';

function file(id: string, name: string): FileDetails {
  return { file_id: id, file_name: name, status: 'uploaded', plaintext_size_bytes: 1, encrypted_size_bytes: 33, s3_key: `usrh-x/${id}`, key_management_mode: 'vault', plaintext_hash: '' };
}

function apiAnswering(files: FileDetails[]): CofferApi & { details: jest.Mock } {
  return { details: jest.fn().mockResolvedValue(files) } as unknown as CofferApi & { details: jest.Mock };
}

describe('resolveOneFile', () => {
  it('returns the one match of a prefix, asking the server with the lower-cased prefix', async () => {
    const api = apiAnswering([file('ab12cd34-0000-4000-8000-000000000000', 'a.txt')]);
    await expect(resolveOneFile(api, 'AB12', 'showing the file')).resolves.toMatchObject({ file_name: 'a.txt' });
    expect(api.details).toHaveBeenCalledWith('ab12', 'showing the file');
  });

  it('lists every match when the prefix is ambiguous', async () => {
    const api = apiAnswering([file('ab12cd34-0000-4000-8000-000000000000', 'a.txt'), file('ab99cd34-0000-4000-8000-000000000000', 'b.txt')]);
    const error = (await resolveOneFile(api, 'ab', 'deleting the file').catch((e: unknown) => e)) as CliError;
    expect(error.message).toBe('deleting the file failed: ab matches 2 files:\n  ab12cd34-0000-4000-8000-000000000000  a.txt\n  ab99cd34-0000-4000-8000-000000000000  b.txt');
    expect(error.hint).toBe('Give more characters of the id.');
  });

  it('says so when nothing matches', async () => {
    await expect(resolveOneFile(apiAnswering([]), 'ff', 'sharing the file')).rejects.toThrow('no file of yours has an id starting with ff');
  });

  it('refuses characters the API does not accept, without asking it', async () => {
    const api = apiAnswering([]);
    await expect(resolveOneFile(api, 'a%', 'x')).rejects.toThrow(UsageError);
    expect(api.details).not.toHaveBeenCalled();
  });
});
