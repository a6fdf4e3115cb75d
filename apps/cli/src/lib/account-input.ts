import type { Context } from './context';
import { CliError, missingInput, UsageError } from './errors';
import { promptLine } from './prompt';
import { readSecret } from './secrets';

/** The account e-mail: `--email`, else `COFFER_EMAIL`, else a prompt. */
export async function readEmail(ctx: Context, option: string | undefined): Promise<string> {
  const given = option ?? ctx.env.COFFER_EMAIL;
  if (given?.trim()) return checkedEmail(given.trim());
  if (!ctx.interactive) throw missingInput('e-mail address', 'Use --email or set COFFER_EMAIL.');
  const email = await promptLine(ctx.io, 'E-mail: ');
  if (!email) throw new UsageError('no e-mail address given', 'Use --email.');
  return checkedEmail(email);
}

/** RFC 5321's longest path, as the server's limit. */
const MAX_EMAIL_LENGTH = 254;

/** Only what cannot be an address at all (the server has the last word on the rest). */
function checkedEmail(email: string): string {
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > MAX_EMAIL_LENGTH) {
    throw new UsageError(`not an e-mail address: ${JSON.stringify(email.slice(0, 80))}`, 'Give the address as name@example.com (--email or COFFER_EMAIL).');
  }
  return email;
}

/** The account password: `--password-stdin`, else `COFFER_PASSWORD`, else a prompt (twice for a new one). */
export function readAccountPassword(ctx: Context, options: { passwordStdin?: boolean }, isNew = false): Promise<string> {
  return readSecret(ctx, {
    what: 'password',
    envVar: 'COFFER_PASSWORD',
    stdinOption: options.passwordStdin ? '--password-stdin' : undefined,
    alternatives: '--password-stdin',
    confirm: isNew,
    minLength: isNew ? 8 : undefined,
  });
}

/** A one-time code: `--code`, else a prompt. */
export async function readCode(ctx: Context, option: string | undefined): Promise<string> {
  let code = option?.trim();
  if (!code) {
    if (!ctx.interactive) throw missingInput('verification code', 'Use --code <6 digits> (from the e-mail).');
    code = await promptLine(ctx.io, 'Code from the e-mail: ');
  }
  if (!/^\d{6}$/.test(code)) throw new UsageError('the verification code must be 6 digits', 'Copy it from the e-mail.');
  return code;
}

/** Asks for confirmation of an irreversible action, unless `--yes`; refuses without a terminal. */
export async function confirmAction(ctx: Context, yes: boolean | undefined, question: string, expected = 'yes'): Promise<void> {
  if (yes) return;
  if (!ctx.interactive) throw missingInput('confirmation', 'Pass --yes to confirm.');
  const answer = await promptLine(ctx.io, `${question} Type "${expected}" to confirm: `);
  if (answer !== expected) throw new CliError('cancelled', undefined, 1);
}
