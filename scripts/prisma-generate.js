#!/usr/bin/env node
// `prisma generate` needs no schema engine, but the Prisma CLI tries to download one at start.
// Pointing it at a program that fails keeps it offline; `generate` then works as usual.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const result = spawnSync(
  process.execPath,
  [require.resolve('prisma/build/index.js'), 'generate', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  },
);
process.exit(result.status ?? 1);
