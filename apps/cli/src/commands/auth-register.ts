import { Command } from 'commander';
import { readAccountPassword, readCode, readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import { saveCredentials } from '../lib/credentials';
import { contextFor, type Runtime } from '../lib/runtime';

interface RegisterOptions {
  email?: string;
  passwordStdin?: boolean;
  code?: string;
}

export function authRegisterCommand(runtime: Runtime): Command {
  return new Command('register')
    .description('create an account; a 6-digit code is e-mailed to verify it')
    .option('--email <address>', 'account e-mail (default: COFFER_EMAIL or a prompt)')
    .option('--password-stdin', 'read the password from standard input (default: COFFER_PASSWORD or a prompt)')
    .option('--code <code>', 'verify at once with this code (with a terminal you are asked for it)')
    .action(async (options: RegisterOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const email = await readEmail(ctx, options.email);
      const password = await readAccountPassword(ctx, options, true);
      const server = (await ctx.server()).url;
      const api = new CofferApi(ctx, server);
      await api.register(email, password);
      ctx.out.notice(`A verification code was sent to ${email}.`);
      // Without a code and without a terminal, verification is a separate step (`coffer auth verify`).
      if (options.code === undefined && !ctx.interactive) {
        ctx.out.result({ email, server, verified: false, logged_in: false }, () => `Registered ${email}. Verify it with: coffer auth verify --email ${email} --code <code>`);
        return;
      }
      const code = await readCode(ctx, options.code);
      await api.verify(email, code);
      const tokens = await api.login(email, password);
      await saveCredentials(ctx, { server, email, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      ctx.out.result({ email, server, verified: true, logged_in: true }, () => `Registered and verified ${email}; you are logged in to ${server}.`);
    });
}
