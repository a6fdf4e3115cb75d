import { Command } from 'commander';
import { readAccountPassword, readCode, readEmail } from '../lib/account-input';
import { CofferApi } from '../lib/coffer-api';
import type { Context } from '../lib/context';
import { saveCredentials } from '../lib/credentials';
import { withContext } from '../lib/errors';
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
    .option('--code <code>', 'finish a registration started earlier: verify with the e-mailed code and log in (nothing is registered again)')
    .action(async (options: RegisterOptions, command: Command) => {
      const ctx = contextFor(runtime, command);
      const email = await readEmail(ctx, options.email);
      // Registering again would mail a new code and void this one: with --code, only verify.
      if (options.code !== undefined) {
        const code = await readCode(ctx, options.code);
        const password = await readAccountPassword(ctx, options);
        const server = (await ctx.server()).url;
        await verifyAndLogIn(ctx, new CofferApi(ctx, server), server, email, password, code);
        return;
      }
      const password = await readAccountPassword(ctx, options, true);
      const server = (await ctx.server()).url;
      const api = new CofferApi(ctx, server);
      await api.register(email, password);
      ctx.out.notice(`A verification code was sent to ${email}.`);
      // Without a terminal, verification is a separate step (`coffer auth verify`, or this command with --code).
      if (!ctx.interactive) {
        ctx.out.result({ email, server, verified: false, logged_in: false }, () => `Registered ${email}. Verify it and log in with: coffer auth register --email ${email} --code <code>\n(or only verify it with: coffer auth verify --email ${email} --code <code>)`);
        return;
      }
      await verifyAndLogIn(ctx, api, server, email, password, await readCode(ctx, undefined));
    });
}

async function verifyAndLogIn(ctx: Context, api: CofferApi, server: string, email: string, password: string, code: string): Promise<void> {
  await api.verify(email, code);
  let tokens;
  try {
    tokens = await api.login(email, password);
  } catch (error) {
    throw withContext(error, `${email} is verified, but`);
  }
  await saveCredentials(ctx, { server, email, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
  ctx.out.result({ email, server, verified: true, logged_in: true }, () => `Registered and verified ${email}; you are logged in to ${server}.`);
}
