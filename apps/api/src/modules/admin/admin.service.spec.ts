import { Logger } from '@nestjs/common';
import type { MultipartUploadInfo, ObjectStore } from '@coffer/storage';
import type { AppConfig, AppEnv } from '../../config/app-config';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';

async function* uploadsOf(...keys: string[]): AsyncIterable<MultipartUploadInfo> {
  for (const key of keys) yield { key, uploadId: `upload-${key}`, initiatedAt: new Date(0) };
}

const TOKEN = 'admin-token-'.padEnd(43, 'x');
const configFor = (env: AppEnv, token: string | undefined = TOKEN) => ({ env, admin: { token } }) as AppConfig;

describe('AdminService.reset', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('wipes every table and every object in development mode for the admin token', async () => {
    const admin = strictMock<AdminRepository>('admin', { wipeAllTables: jest.fn().mockResolvedValue(['files', 'users']) });
    const store = strictMock<ObjectStore>('store', {
      deletePrefix: jest.fn().mockResolvedValue(3),
      listMultipartUploads: jest.fn(() => uploadsOf('usrh-a/f1')),
      abortMultipartUpload: jest.fn().mockResolvedValue(undefined),
    });

    await new AdminService(admin, store, configFor('development')).reset(`Bearer ${TOKEN}`);

    expect(admin.wipeAllTables).toHaveBeenCalled();
    expect(store.deletePrefix).toHaveBeenCalledWith('usrh-');
    expect(store.listMultipartUploads).toHaveBeenCalledWith('usrh-');
    expect(store.abortMultipartUpload).toHaveBeenCalledWith('usrh-a/f1', 'upload-usrh-a/f1');
  });

  it.each([
    ['no header', undefined],
    ['an empty bearer', 'Bearer '],
    ['a wrong token of the same length', `Bearer ${'y'.repeat(TOKEN.length)}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token plus one character', `Bearer ${TOKEN}x`],
    ['the token without the scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
  ])('refuses %s with 401 in development mode and touches nothing', async (_what, authorization) => {
    await expect(new AdminService(strictMock('admin'), strictMock('store'), configFor('development')).reset(authorization)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('refuses every caller when no token is configured', async () => {
    await expect(new AdminService(strictMock('admin'), strictMock('store'), configFor('development', undefined)).reset('Bearer ')).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it.each<AppEnv>(['production', 'test'])('refuses with 403 in %s mode, even with the right token, and touches nothing', async (env) => {
    await expect(new AdminService(strictMock('admin'), strictMock('store'), configFor(env)).reset(`Bearer ${TOKEN}`)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
