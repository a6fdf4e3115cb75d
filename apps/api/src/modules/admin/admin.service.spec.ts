import { Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import type { AppConfig, AppEnv } from '../../config/app-config';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';

const configFor = (env: AppEnv) => ({ env }) as AppConfig;

describe('AdminService.reset', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('wipes every table and every object in development mode', async () => {
    const admin = strictMock<AdminRepository>('admin', { wipeAllTables: jest.fn().mockResolvedValue(['files', 'users']) });
    const store = strictMock<ObjectStore>('store', { deletePrefix: jest.fn().mockResolvedValue(3) });

    await new AdminService(admin, store, configFor('development')).reset();

    expect(admin.wipeAllTables).toHaveBeenCalled();
    expect(store.deletePrefix).toHaveBeenCalledWith('usrh-');
  });

  it.each<AppEnv>(['production', 'test'])('refuses with 403 in %s mode and touches nothing', async (env) => {
    await expect(new AdminService(strictMock('admin'), strictMock('store'), configFor(env)).reset()).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
