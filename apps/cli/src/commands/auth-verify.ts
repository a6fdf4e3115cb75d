import { Command } from 'commander';
import { readCode, readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { contextFor, type Runtime } from '../lib/runtime';

export function authVerifyCommand(runtime: Runtime): Command {
  return new Command('verify')
    .description('verify a new account with the code from the e-mail')
    .option('--email <address>', 'account e-mail (default: COFFER_EMAIL or a prompt)')
    .option('--code <code>', 'the 6-digit code (default: a prompt)')
    .action(async (options: { email?: string; code?: string }, command: Command) => {
      const ctx = contextFor(runtime, command);
      const email = await readEmail(ctx, options.email);
      const code = await readCode(ctx, options.code);
      await new CofferApi(ctx, (await ctx.server()).url).verify(email, code);
      ctx.out.result({ email, verified: true }, () => `Verified ${email}. Log in with: coffer auth login --email ${email}`);
    });
}
