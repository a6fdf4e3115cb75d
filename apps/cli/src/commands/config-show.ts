import { Command } from 'commander';
import { contextFor, type Runtime } from '../lib/runtime';

export function configShowCommand(runtime: Runtime): Command {
  return new Command('show')
    .description('show the server in use and where the state is kept')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = await ctx.server();
      const info = { server: server.url, server_source: server.source, home: ctx.home, config_file: ctx.configFile };
      const from = { flag: '--server', env: 'COFFER_SERVER', config: ctx.configFile, default: 'built-in default' }[server.source];
      ctx.out.result(info, () => [`Server  ${server.url} (from ${from})`, `Home    ${ctx.home}`].join('\n'));
    });
}
