import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/database/database';
import { migrationNames } from '../../../../test/helpers/migrations';

// The default of `npm start`: PostgreSQL embedded in the process (PGlite) under DATA_DIR.
describe('embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-embedded-'));

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('is created and migrated on first open, keeps its data, and applies nothing on reopen', async () => {
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('embedded');
    expect(first.migrations.applied).toEqual(migrationNames());
    await first.prisma.user.create({ data: { email: 'kept@example.com', passwordHash: 'x' } });
    expect(await first.prisma.storageUsage.findUnique({ where: { id: 1 } })).toEqual({ id: 1, usedBytes: 0n, reservedBytes: 0n });
    await first.close();

    const second = await openDatabase({ dataDir });
    try {
      expect(second.migrations).toEqual({ applied: [], alreadyApplied: migrationNames().length });
      expect(await second.prisma.user.count({ where: { email: 'kept@example.com' } })).toBe(1);
      await expect(second.ping()).resolves.toBeUndefined();
    } finally {
      await second.close();
    }
  }, 60_000);
});
