import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '../../test/test-io';
import { describeError } from '../lib/report-error';
import { buildProgram } from '../program';

/** A JWT-shaped token with this expiry (the CLI never checks the signature). */
function token(exp: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub: 'u', exp })}.sig`;
}

describe('coffer auth status', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'coffer-status-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function status(args: string[] = []) {
    const io = memoryIo();
    let exitCode = 0;
    try {
      await buildProgram({ env: { COFFER_HOME: home }, io }).parseAsync(['node', 'coffer', 'auth', 'status', ...args]);
    } catch (error) {
      exitCode = describeError(error, false).exitCode;
    }
    return { exitCode, stdout: io.stdoutText() };
  }

  async function login(server: string, exp: number): Promise<void> {
    const credentials = { server, email: 'ann@example.com', access_token: token(exp), refresh_token: 'r' };
    await writeFile(join(home, 'credentials.json'), JSON.stringify(credentials), { mode: 0o600 });
  }

  it('shows the account, the server and the access token expiry', async () => {
    await login('http://coffer.example:8080', Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    const human = await status(['--server', 'http://coffer.example:8080']);
    expect(human).toEqual({ exitCode: 0, stdout: 'Logged in to http://coffer.example:8080 as ann@example.com.\nAccess token valid until 2026-01-02 03:04 UTC (refreshed automatically).\n' });
    const json = await status(['--server', 'http://coffer.example:8080', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      logged_in: true,
      server: 'http://coffer.example:8080',
      email: 'ann@example.com',
      login_server: 'http://coffer.example:8080',
      access_token_expires_at: '2026-01-02T03:04:05Z',
    });
  });

  it('says when the login is for another server than the one in use, exit 1', async () => {
    await login('http://other.example', 2_000_000_000);
    const { exitCode, stdout } = await status(['--server', 'http://coffer.example:8080']);
    expect(exitCode).toBe(1);
    expect(stdout).toContain('Logged in to http://other.example as ann@example.com, but commands now use http://coffer.example:8080');
  });

  it('says when nobody is logged in, exit 1', async () => {
    const { exitCode, stdout } = await status(['--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ logged_in: false, email: null, login_server: null });
  });
});
