import { Command } from 'commander';
import { CofferApi } from '../lib/coffer-api';
import { clearCredentials, loadCredentials } from '../lib/credentials';
import { CliError } from '../lib/errors';
import { contextFor, type Runtime } from '../lib/runtime';

export function authLogoutCommand(runtime: Runtime): Command {
  return new Command('logout')
    .description('end the session: revoke the refresh token and forget the tokens')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const credentials = await loadCredentials(ctx);
      if (!credentials) {
        ctx.out.result({ logged_out: false }, () => 'You are not logged in.');
        return;
      }
      let revoked = true;
      try {
        await new CofferApi(ctx, credentials.server).revoke(credentials.refresh_token);
      } catch (error) {
        revoked = false;
        ctx.out.warn(`the server could not be told (${error instanceof CliError ? error.message : String(error)}); the tokens are forgotten here anyway`);
      }
      await clearCredentials(ctx);
      ctx.out.result({ logged_out: true, revoked, server: credentials.server }, () => `Logged out of ${credentials.server}.`);
    });
}
