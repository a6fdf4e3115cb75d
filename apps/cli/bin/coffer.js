#!/usr/bin/env node
// Committed with its executable bit, so `npx coffer` works whatever mode the build gives dist/.
require('../dist/main.js');
