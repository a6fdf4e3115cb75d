#!/usr/bin/env node
// `npm start`: builds, then runs the server as a child and hands it the signals npm receives, so a
// SIGTERM or Ctrl-C to `npm start` stops the server. The script line is `exec node scripts/start.js`:
// without `exec` the shell would take npm's signal and die, leaving this process and the server.
const { spawn, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Its own process group: a Ctrl-C on the terminal reaches the server once (forwarded below), not
// twice (the server exits at once on a second signal).
const server = spawn(process.execPath, [path.join(root, 'apps/api/dist/main.js')], { cwd: process.cwd(), stdio: 'inherit', detached: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});
