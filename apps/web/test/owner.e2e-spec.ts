/**
 * The owner flow end to end in Debian's Chromium (playwright-core) against a real server (the
 * built apps/web/dist served by the API, PostgreSQL, fs storage, the SMTP capture): register with
 * the mailed code, create the account key, upload 0 B / 1 B / 65,537 B / 50 MB encrypted in the
 * browser, then `coffer decrypt` each web link with the CLI, byte-exact; search, share, delete,
 * a CLI upload listed under its real name after a reload (the cookie session resumes), log out, log in, delete the account. Screenshots of every
 * screen go to test-artifacts/owner/ (look at them).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';

/** The built `coffer` binary, run as its own process (apps/web may not import apps/cli, only run it). */
const CLI = join(__dirname, '../../cli/bin/coffer.js');

function coffer(args: string[], options: { home: string; cwd?: string; server?: string; env?: Record<string, string> }): Promise<{ code: number | null; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home, COFFER_HOME: options.home, ...(options.server ? { COFFER_SERVER: options.server } : {}), ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: options.cwd ?? tmpdir(), stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const ARTIFACTS = join(__dirname, '../../../test-artifacts/owner');
const EMAIL = 'owner-web@example.com';
const PASSWORD = 'account password 1';
const VAULT_PASSWORD = 'vault password for the web';

const SIZES: Array<[string, number]> = [
  ['empty.bin', 0],
  ['one-byte.bin', 1],
  ['chunk-plus-one.bin', 65_537],
  ['fifty-megabytes.bin', 50 * 1024 * 1024],
];

jest.setTimeout(300_000);

describe('owner web app in Chromium (issue 17)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'coffer-owner-web-'));
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--metrics-recording-only'],
    });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('register → unlock → upload → CLI decrypt byte-exact → search, share, delete → reload → log out → delete account', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.goto(`${t.baseUrl}/`);
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    await shot('01-login');

    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot('02-register');
    const mailsBefore = t.mail.messages.length;
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    const code = await t.mail.codeFor(EMAIL, { after: mailsBefore });
    await page.getByLabel('Code').fill(code);
    await shot('03-verify');
    await page.getByRole('button', { name: 'Verify' }).click();

    // A new account has no key: the first unlock says so and offers to create it.
    await page.getByRole('heading', { name: 'Unlock your files' }).waitFor();
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Create your account key' }).waitFor();
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await shot('04-create-key');
    await page.getByRole('button', { name: 'Create the key' }).click();
    await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 60_000 });
    await page.getByText('No files yet.').waitFor();
    await shot('05-files-empty');

    const sources = SIZES.map(([name, size]) => {
      const bytes = randomBytes(size);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return { name, path, sha256: sha(bytes), size };
    });
    await page.setInputFiles('#upload', sources.map((s) => s.path));
    await page.getByRole('progressbar').first().waitFor();
    await shot('06-uploading');
    await page.getByText(`Uploaded ${sources.at(-1)!.name}.`).waitFor({ timeout: 120_000 });
    for (const source of sources) await page.locator('.file-name', { hasText: source.name }).waitFor();
    await shot('07-files');

    // Names come only from the encrypted metadata: the server has "encrypted" for each.
    const stored = await fetch(`${t.baseUrl}/api/files/all`, { headers: { Authorization: `Bearer ${await accessTokenFor()}` } }).then((r) => r.json());
    expect(stored.map((f: { file_name: string }) => f.file_name)).toEqual(['encrypted', 'encrypted', 'encrypted', 'encrypted']);

    // Browser → CLI: every web link decrypts with `coffer decrypt`, byte for byte.
    for (const source of sources) {
      await page.getByRole('button', { name: `Share ${source.name}` }).click();
      const link = await page.locator('#share-link').inputValue();
      const match = /^(http:\/\/[^/]+)\/s\/(usrh-[0-9a-f]{32})\/([0-9a-f-]{36})#([A-Za-z0-9_-]{43})$/.exec(link);
      expect(match).not.toBeNull();
      const [, origin, owner, fileId, fragment] = match!;
      const key = Buffer.from(fragment, 'base64url').toString('base64');
      const out = join(dir, `out-${source.name}`);
      const run = await coffer(['decrypt', `${origin}/files/download/${owner}/${fileId}`, out, '--key', key], { home: join(dir, 'home') });
      expect({ name: source.name, code: run.code, stderr: run.stderr }).toEqual({ name: source.name, code: 0, stderr: expect.any(String) });
      const plain = readFileSync(out);
      expect({ name: source.name, size: plain.length, sha256: sha(plain) }).toEqual({ name: source.name, size: source.size, sha256: source.sha256 });
      if (source.size === 65_537) await shot('08-share');
      await page.getByRole('button', { name: 'Close' }).click();
    }

    await page.getByLabel('Search by name').fill('one-byte');
    await expect(page.locator('.file-row').count()).resolves.toBe(1);
    await shot('09-search');
    await page.getByLabel('Search by name').fill('');

    await page.getByRole('button', { name: 'Delete empty.bin' }).click();
    await page.getByRole('alertdialog').waitFor();
    await shot('10-confirm-delete');
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('Deleted empty.bin.').waitFor();
    await page.locator('.file-name', { hasText: 'empty.bin' }).waitFor({ state: 'detached' });
    await expect(page.locator('.file-row').count()).resolves.toBe(3);

    // CLI → browser: the CLI unlocks the account key the browser created (vault password) and
    // uploads; the page opens the CLI's sealed key and metadata record and shows the real name.
    const cliHome = join(dir, 'cli-home');
    const cli = (args: string[], env: Record<string, string> = {}) =>
      coffer(args, { home: cliHome, cwd: dir, server: t.baseUrl, env: { COFFER_PASSWORD: PASSWORD, ...env } });
    const loggedIn = await cli(['auth', 'login', '--email', EMAIL]);
    expect({ code: loggedIn.code, stderr: loggedIn.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    writeFileSync(join(dir, 'from-the-cli.txt'), 'uploaded by coffer, listed by the browser\n');
    const uploaded = await cli(['upload', join(dir, 'from-the-cli.txt'), '--json'], { COFFER_VAULT_PASSWORD: VAULT_PASSWORD });
    expect({ code: uploaded.code, stderr: uploaded.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    // A reload keeps no token in the page: the httpOnly cookie resumes the session, the key is locked again.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).toBe('{}{}');
    expect(await page.evaluate(() => document.cookie)).not.toContain('coffer_web_refresh');
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock your files' }).waitFor();
    await page.getByLabel('Vault password').fill('wrong vault password');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('Wrong vault password.').waitFor({ timeout: 60_000 });
    await shot('11-unlock-wrong');
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 60_000 });
    await page.locator('.file-name', { hasText: 'fifty-megabytes.bin' }).waitFor();
    await page.locator('.file-name', { hasText: 'from-the-cli.txt' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();

    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Delete account…' }).click();
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Account password').fill(PASSWORD);
    await shot('12-delete-account');
    await page.getByRole('button', { name: 'Delete my account and every file' }).click();
    await page.getByText('Your account and every file are deleted.').waitFor();
    await shot('13-deleted');
    const login = await fetch(`${t.baseUrl}/api/user/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    expect(login.status).toBe(401);
    expect(errors.filter((e) => !/401|403|404/.test(e))).toEqual([]);
  });

  async function accessTokenFor(): Promise<string> {
    const res = await fetch(`${t.baseUrl}/api/user/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }
});
