#!/usr/bin/env node
import { runCli } from './run-cli';

runCli(process.argv);
