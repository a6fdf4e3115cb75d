import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { authDeleteAccountCommand } from './commands/auth-delete-account';
import { authLoginCommand } from './commands/auth-login';
import { authLogoutCommand } from './commands/auth-logout';
import { authRegisterCommand } from './commands/auth-register';
import { authResendCommand } from './commands/auth-resend';
import { authStatusCommand } from './commands/auth-status';
import { authVerifyCommand } from './commands/auth-verify';
import { configSetServerCommand } from './commands/config-set-server';
import { configShowCommand } from './commands/config-show';
import { decryptCommand } from './commands/decrypt';
import { filesDeleteCommand } from './commands/files-delete';
import { filesListCommand } from './commands/files-list';
import { filesShowCommand } from './commands/files-show';
import { keysCommand } from './commands/keys';
import { shareCommand } from './commands/share';
import { uploadCommand } from './commands/upload';
import { usageCommand } from './commands/usage';
import type { Runtime } from './lib/runtime';

function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The whole `coffer` command tree. Parsing errors are thrown (exitOverride), never exit the process. */
export function buildProgram(runtime: Runtime): Command {
  const program = new Command('coffer')
    .description('Coffer: end-to-end encrypted file vault. Files are encrypted on this machine before upload.')
    .version(cliVersion(), '-V, --version')
    .option('--server <url>', 'server base URL (default: COFFER_SERVER, then `coffer config`, then http://127.0.0.1:8080)')
    .option('--json', 'machine-readable output on stdout')
    .option('-v, --verbose', 'more detail on stderr (requests, causes of errors)')
    .addHelpText(
      'after',
      '\nState lives in COFFER_HOME (default ~/.coffer). Secrets come from a prompt or from\n' +
        'COFFER_PASSWORD / --password-stdin (account), COFFER_VAULT_PASSWORD / --vault-password-file (vault),\n' +
        'COFFER_PASSPHRASE / --passphrase-file / --passphrase-stdin (passphrase mode).',
    );

  program
    .command('auth')
    .description('account: register, verify, resend, login, status, logout, delete-account')
    .addCommand(authRegisterCommand(runtime))
    .addCommand(authVerifyCommand(runtime))
    .addCommand(authResendCommand(runtime))
    .addCommand(authLoginCommand(runtime))
    .addCommand(authStatusCommand(runtime))
    .addCommand(authLogoutCommand(runtime))
    .addCommand(authDeleteAccountCommand(runtime));
  program.addCommand(uploadCommand(runtime));
  program
    .command('files')
    .description('your files: list, show, delete')
    .addCommand(filesListCommand(runtime))
    .addCommand(filesShowCommand(runtime))
    .addCommand(filesDeleteCommand(runtime));
  program.addCommand(keysCommand(runtime));
  program.addCommand(shareCommand(runtime));
  program.addCommand(decryptCommand(runtime));
  program.addCommand(usageCommand(runtime));
  program
    .command('config')
    .description('client settings: show, set-server')
    .addCommand(configShowCommand(runtime), { isDefault: true })
    .addCommand(configSetServerCommand(runtime));

  applyEverywhere(program, (command) =>
    command.exitOverride().configureOutput({
      writeOut: (text) => runtime.io.stdout.write(text),
      writeErr: (text) => runtime.io.stderr.write(text),
      // Usage errors are printed by the entry point's one error handler, in the CLI's format.
      outputError: () => undefined,
    }),
  );
  return program;
}

function applyEverywhere(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyEverywhere(sub, apply);
}
