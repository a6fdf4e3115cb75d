import { Command } from 'commander';
import { readAccountPassword, readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { loadCredentials, saveCredentials } from '../lib/credentials';
import { contextFor, type Runtime } from '../lib/runtime';

export function authLoginCommand(runtime: Runtime): Command {
  return new Command('login')
    .description('log in and keep the session tokens in COFFER_HOME')
    .option('--email <address>', 'account e-mail (default: COFFER_EMAIL or a prompt)')
    .option('--password-stdin', 'read the password from standard input (default: COFFER_PASSWORD or a prompt)')
    .action(async (options: { email?: string; passwordStdin?: boolean }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const email = await readEmail(ctx, options.email);
      const password = await readAccountPassword(ctx, options);
      const server = (await ctx.server()).url;
      const api = new CofferApi(ctx, server);
      const previous = await loadCredentials(ctx).catch(() => undefined);
      const tokens = await api.login(email, password);
      await saveCredentials(ctx, { server, email, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      // The login this one replaces is ended on the server too, when it was for the same server.
      if (previous && previous.server === server) await api.revoke(previous.refresh_token).catch(() => undefined);
      ctx.out.result({ email, server, logged_in: true }, () => `Logged in to ${server} as ${email}.`);
    });
}
