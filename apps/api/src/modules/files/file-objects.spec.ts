import { Logger } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { FileObjects } from './file-objects';
import { FileRepository } from './file.repository';
import { strictMock } from '../../../../../test/helpers/strict-mock';

const NOW = new Date('2026-05-01T10:00:00.000Z');
const clock: Clock = { now: () => NOW };
const target = { id: 'f', userId: 'u', objectKey: 'usrh-0/f' };

describe('FileObjects.remove', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('deletes the object and records that it is gone', async () => {
    const files = strictMock<FileRepository>('files', { markObjectRemoved: jest.fn().mockResolvedValue(undefined) });
    const store = strictMock<ObjectStore>('store', { delete: jest.fn().mockResolvedValue(undefined) });

    expect(await new FileObjects(files, store, clock).remove(target)).toBe(true);

    expect(store.delete).toHaveBeenCalledWith('usrh-0/f');
    expect(files.markObjectRemoved).toHaveBeenCalledWith('u', 'f', NOW);
  });

  it('leaves the removal to the retry job when storage fails', async () => {
    const store = strictMock<ObjectStore>('store', { delete: jest.fn().mockRejectedValue(new Error('503 from storage')) });

    expect(await new FileObjects(strictMock('files'), store, clock).remove(target)).toBe(false);
  });
});
