import { Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import type { AppConfig, AppEnv } from '../../config/app-config';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';

function strictMock<T extends object>(name: string, members: Partial<Record<keyof T, unknown>> = {}): jest.Mocked<T> {
  return new Proxy(members, {
    get(target, prop) {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      throw new Error(`unexpected use of ${name}.${String(prop)}`);
    },
  }) as unknown as jest.Mocked<T>;
}

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
      status: 403,
    });
  });
});
