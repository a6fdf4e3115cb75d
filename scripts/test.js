#!/usr/bin/env node
// `npm test`: every jest project (unit, medium, e2e). Builds first because the CLI end-to-end
// tests spawn the compiled binary. Uses DATABASE_URL when set (CI sets it); otherwise the local
// PostgreSQL if one answers on 127.0.0.1:5432, else the embedded database.
// `--full` (`npm run test:full`) is the longer tier: production Argon2id cost everywhere and the
// CLI end to end in full on both storage drivers (test/helpers/test-tier.ts).
const { spawnSync } = require('node:child_process');
const net = require('node:net');

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function run(command, args, env) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

(async () => {
  const full = process.argv.includes('--full');
  const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--full');
  const env = {
    ...process.env,
    ...(full ? { COFFER_TEST_TIER: 'full' } : {}),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // PGlite needs VM modules under jest; s3rver's ListObjectsV2 continuation needs legacy OpenSSL.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--openssl-legacy-provider', '--no-warnings'].filter(Boolean).join(' '),
  };
  if (!env.DATABASE_URL && (await reachable('127.0.0.1', 5432))) {
    env.DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
  }
  console.log(`coffer tests (${env.COFFER_TEST_TIER === 'full' ? 'full tier' : 'fast tier'}): database ${env.DATABASE_URL ? env.DATABASE_URL.replace(/\/\/[^@]*@/, '//***@') : 'embedded (PGlite)'}`);
  run('npm', ['run', '--silent', 'build'], env);
  run(process.execPath, [require.resolve('jest/bin/jest'), '--ci', ...jestArgs], env);
})();
