import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Guards against a schema.prisma change without its migration: the server would start, and
// Prisma queries would fail at run time against tables that lack the new columns.
describe('prisma/migrations', () => {
  it('produce exactly the schema in prisma/schema.prisma', () => {
    const result = spawnSync(process.execPath, [path.join(__dirname, '../../scripts/migration-diff.js'), '--check'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr + result.stdout).toContain('in sync');
    expect(result.status).toBe(0);
  }, 90_000);
});
