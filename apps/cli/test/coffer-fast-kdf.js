#!/usr/bin/env node
// @ts-check
// The `coffer` program of apps/cli/dist with cheap Argon2id, for the end-to-end tests only (the
// binary, bin/coffer.js, has no such knob). Vaults: 1 MiB, one pass (~1 ms instead of ~0.3 s).
// Passphrase-mode files: the server's floor of 19 MiB (it refuses less in `kdf_params`), one pass.
'use strict';

const FAST_KDF = Object.freeze({
  vault: Object.freeze({ alg: 'argon2id', m: 1024, t: 1, p: 1 }),
  passphrase: Object.freeze({ alg: 'argon2id', m: 19_456, t: 1, p: 1 }),
  bounds: Object.freeze({ m: { min: 1024, max: 1_048_576 }, t: { min: 1, max: 10 }, p: { min: 1, max: 8 } }),
});

module.exports = { FAST_KDF };

if (require.main === module) require('../dist/run-cli.js').runCli(process.argv, FAST_KDF);
