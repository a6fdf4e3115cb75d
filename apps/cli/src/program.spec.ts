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
