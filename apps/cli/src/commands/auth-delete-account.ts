import { Command } from 'commander';
import { confirmAction, readAccountPassword, readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { clearCredentials, loadCredentials } from '../lib/credentials';
import { contextFor, type Runtime } from '../lib/runtime';

export function authDeleteAccountCommand(runtime: Runtime): Command {
  return new Command('delete-account')
    .description('delete your account with every file and share link (irreversible)')
    .option('--email <address>', 'account e-mail (default: the logged-in one, COFFER_EMAIL or a prompt)')
    .option('--password-stdin', 'read the password from standard input (default: COFFER_PASSWORD or a prompt)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (options: { email?: string; passwordStdin?: boolean; yes?: boolean }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = (await ctx.server()).url;
      const credentials = await loadCredentials(ctx).catch(() => undefined);
      const loggedIn = credentials?.server === server ? credentials : undefined;
      const email = await readEmail(ctx, options.email ?? loggedIn?.email);
      await confirmAction(ctx, options.yes, `Delete the account ${email} on ${server} with all its files?`, email);
      const password = await readAccountPassword(ctx, options);
      await new CofferApi(ctx, server).deleteAccount(email, password);
      if (loggedIn && loggedIn.email.toLowerCase() === email.toLowerCase()) await clearCredentials(ctx);
      ctx.out.result({ email, server, deleted: true }, () => `Deleted the account ${email} and all its files.`);
    });
}
