#!/usr/bin/env node
import { prestartForUpload } from './prestart';

prestartForUpload(process.argv);
// Loaded only now, so that an upload's worker starts while the rest of the CLI loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./run-cli') as typeof import('./run-cli')).runCli(process.argv);
