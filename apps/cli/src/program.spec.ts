import { describeError } from './lib/report-error';
import { memoryIo } from '../test/test-io';
import { buildProgram } from './program';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = memoryIo();
  const program = buildProgram({ env: { COFFER_HOME: '/nonexistent/coffer-test-home', ...env }, io });
  let exitCode = 0;
  let errorText = '';
  try {
    await program.parseAsync(['node', 'coffer', ...args]);
  } catch (error) {
    ({ text: errorText, exitCode } = describeError(error, false));
  }
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() + errorText };
}

describe('command line parsing', () => {
  it('exits 2 with the CLI error format for a missing argument', async () => {
    const { exitCode, stderr } = await run(['decrypt']);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/^coffer: missing required argument 'link'\n/);
  });

  it('exits 2 for an unknown option and an unknown command', async () => {
    expect((await run(['files', 'list', '--bogus'])).exitCode).toBe(2);
    expect((await run(['fly'])).exitCode).toBe(2);
  });

  it('exits 2 for conflicting key options, before any network use', async () => {
    const key = Buffer.alloc(32).toString('base64');
    const { exitCode, stderr } = await run(['decrypt', `http://127.0.0.1:1/files/download/usrh-ab/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, '--key', key, '--vault']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--key and --vault cannot be used together');
  });

  it('exits 2 for a malformed link', async () => {
    expect((await run(['decrypt', 'https://x.example/nothing'])).exitCode).toBe(2);
  });

  describe('one exit-code rule: 2 for input the command cannot run with, before anything is tried', () => {
    const link = `http://127.0.0.1:1/files/download/usrh-${'ab'.repeat(16)}/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    it.each([
      ['a malformed --code', ['auth', 'verify', '--email', 'a@example.com', '--code', '12x456'], 'the verification code must be 6 digits'],
      ['a malformed --key', ['decrypt', link, '--key', 'not-a-key'], 'the key from --key is not a base64 32-byte key'],
      ['a missing code without a terminal', ['auth', 'verify', '--email', 'a@example.com'], 'no verification code given and no terminal to ask for it'],
      ['a missing e-mail without a terminal', ['auth', 'login'], 'no e-mail address given and no terminal to ask for it'],
      ['a missing secret without a terminal', ['auth', 'login', '--email', 'a@example.com'], 'no password given and no terminal to ask for it'],
      ['a missing confirmation without a terminal', ['auth', 'delete-account', '--email', 'a@example.com'], 'no confirmation given and no terminal to ask for it'],
      ['an empty secret', ['auth', 'login', '--email', 'a@example.com', '--password-stdin'], 'the password is empty'],
      ['a new secret that is too short', ['auth', 'register', '--email', 'a@example.com'], 'the password must be at least 8 characters'],
    ])('%s exits 2', async (_case, args, message) => {
      const { exitCode, stderr } = await run(args, { COFFER_PASSWORD: args[1] === 'register' ? 'short' : '' });
      expect(stderr).toContain(`coffer: ${message}`);
      expect(exitCode).toBe(2);
    });

    it('exits 1 for a failure that is not about the input (the server cannot be reached)', async () => {
      const { exitCode, stderr } = await run(['auth', 'login', '--email', 'a@example.com', '--server', 'http://127.0.0.1:1'], { COFFER_PASSWORD: 'some password' });
      expect(stderr).toContain('cannot reach the server');
      expect(exitCode).toBe(1);
    });
  });

  it('prints help on stdout with exit 0', async () => {
    const { exitCode, stdout } = await run(['--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Usage: coffer');
  });

  it('takes global options after the subcommand', async () => {
    const { exitCode, stdout } = await run(['config', 'show', '--json', '--server', 'http://s.example:1/']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ server: 'http://s.example:1', server_source: 'flag' });
  });
});
