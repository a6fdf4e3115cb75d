import { Command } from 'commander';
import { readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { contextFor, type Runtime } from '../lib/runtime';

export function authResendCommand(runtime: Runtime): Command {
  return new Command('resend')
    .description('e-mail a fresh code for each pending registration whose code has not expired (older codes stop working)')
    .option('--email <address>', 'account e-mail (default: COFFER_EMAIL or a prompt)')
    .action(async (options: { email?: string }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const email = await readEmail(ctx, options.email);
      await new CofferApi(ctx, (await ctx.server()).url).resend(email);
      ctx.out.result({ email, sent: true }, () => `If ${email} is waiting for verification, a new code is on its way.`);
    });
}
