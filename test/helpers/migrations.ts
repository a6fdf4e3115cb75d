import fs from 'node:fs';
import path from 'node:path';
import { findMigrationsDir } from '../../apps/api/src/database/migrator';

/** Names of the committed migrations, in the order they apply. */
export function migrationNames(): string[] {
  const dir = findMigrationsDir(path.join(__dirname, '../../apps/api/src'));
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}
