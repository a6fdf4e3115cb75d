#!/usr/bin/env node
// `npm install` step of @coffer/crypto: builds the AES-GCM binding (native/gcm.c) with node-gyp
// against the OpenSSL headers Node ships. Without a C compiler the build fails and libs/crypto uses
// Node's crypto instead (same bytes, about half the encryption speed): a warning, not an error.
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

// npm names its bundled node-gyp in npm_config_node_gyp; otherwise one on PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { cwd: join(__dirname, '..'), stdio: 'inherit' });
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  process.stderr.write(
    `@coffer/crypto: the native AES-GCM binding was not built (${why}).\n` +
      "Coffer works without it, using Node's crypto at about half the encryption speed. To build it,\n" +
      'install a C compiler, make and python3, then run `npm rebuild @coffer/crypto`.\n',
  );
}
