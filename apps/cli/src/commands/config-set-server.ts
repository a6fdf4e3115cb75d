import { Command } from 'commander';
import { readConfig, writeConfig } from '../lib/config-store';
import { ensurePrivateDir } from '@coffer/state-files';
import { contextFor, type Runtime } from '../lib/runtime';
import { normalizeServerUrl } from '../lib/server-url';

export function configSetServerCommand(runtime: Runtime): Command {
  return new Command('set-server')
    .description('set the default server URL (kept in COFFER_HOME/config.json)')
    .argument('<url>', 'base URL of the Coffer server, e.g. https://coffer.example.com')
    .action(async (url: string, _options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = normalizeServerUrl(url, 'the argument');
      await ensurePrivateDir(ctx.home);
      await writeConfig(ctx.configFile, { ...((await readConfig(ctx.configFile)) ?? {}), server });
      ctx.out.result({ server }, () => `Server set to ${server}.`);
    });
}
