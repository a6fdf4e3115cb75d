/**
 * The recipient page in Debian's Chromium against a real server (PostgreSQL, fs storage, the
 * built apps/web/dist): files uploaded with the `coffer` CLI open in the browser byte-exact (0 B,
 * 1 B, 65,537 B, 50 MB; vault key in the fragment, and a passphrase file), a wrong key and a wrong
 * passphrase spend no download, a tampered blob saves nothing, the daily limit and a missing file
 * have their screens. Without the File System Access API a small file is a Blob download and a
 * large one a service-worker stream (byte-exact; a tampered one a failed download). Screenshots of every screen: test-artifacts/web/ (look at them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { coffer, FAST_KDF_CLI, json, type CliOptions } from '../../cli/test/cli-runner';
import { artifactsDir, collectPageErrors, launchChromium, savedFile, savedNames, screen, stubSavePicker, withoutSavePicker } from './browser';

const SHOTS = artifactsDir('web');
const PASSPHRASE = 'correct horse battery staple for the web';
const ENV = { COFFER_PASSWORD: 'account password for web tests', COFFER_VAULT_PASSWORD: 'vault password for web tests' };

jest.setTimeout(600_000);

interface Shared {
  id: string;
  name: string;
  bytes: Buffer;
  webUrl: string;
  link: string;
  key?: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('recipient page in Chromium (issue 17)', () => {
  let t: TestApp;
  let browser: Browser;
  let root: string;
  let owner: CliOptions;
  const run = (args: string[]) => coffer(args, { ...owner, env: ENV });

  async function upload(name: string, bytes: Buffer, passphrase = false): Promise<Shared> {
    const path = join(root, name);
    await writeFile(path, bytes);
    if (passphrase) await writeFile(join(root, 'passphrase.txt'), `${PASSPHRASE}\n`);
    const extra = passphrase ? ['--passphrase-file', join(root, 'passphrase.txt')] : [];
    const up = await run(['upload', path, ...extra, '--json']);
    const [file] = json<Array<{ file_id: string }>>(up);
    const share = json<{ web_url: string; link: string; key?: string }>(await run(['share', file.file_id, '--json']));
    return { id: file.file_id, name, bytes, webUrl: share.web_url, link: share.link, key: share.key };
  }

  /** A fresh context per scenario: its own origin-private file system, nothing shared. */
  async function open(url: string, options: { picker?: boolean; width?: number } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: options.width ?? 800, height: 700 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    if (options.picker === false) await withoutSavePicker(page);
    else await stubSavePicker(page);
    await page.goto(url);
    return { context, page, errors };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** Whether a download would be allowed now (HEAD counts nothing). */
  const headStatus = async (f: Shared) => (await fetch(f.link, { method: 'HEAD' })).status;

  beforeAll(async () => {
    t = await startTestApp({ env: { DAILY_DOWNLOAD_LIMIT: '2' } });
    root = await mkdtemp(join(tmpdir(), 'coffer-web-recipient-'));
    owner = { home: join(root, 'home'), server: t.baseUrl, entry: FAST_KDF_CLI };
    const email = `web-${randomBytes(4).toString('hex')}@example.com`;
    await run(['auth', 'register', '--email', email]);
    await run(['auth', 'verify', '--email', email, '--code', await t.mail.codeFor(email)]);
    await run(['auth', 'login', '--email', email]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['empty.bin', 0],
    ['one-byte.bin', 1],
    ['chunk-plus-one.bin', 65_537],
    ['fifty-megabytes.bin', 50 * 1024 * 1024],
  ])('opens %s (%i bytes) uploaded by the CLI, byte-exact, the key from the fragment', async (name, size) => {
    const file = await upload(name, randomBytes(size));
    expect(file.webUrl).toBe(`${t.baseUrl}/s/${new URL(file.link).pathname.split('/').slice(-2).join('/')}#${Buffer.from(file.key!, 'base64').toString('base64url')}`);
    const { context, page, errors } = await open(file.webUrl, { width: size === 65_537 ? 375 : 800 });
    await screen(page, 'ready');
    await expect(page.locator('.file-name').textContent()).resolves.toBe(name);
    if (size === 50 * 1024 * 1024) await shot(page, '02-ready');
    if (size === 65_537) await shot(page, '02-ready-phone-width');
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    if (size === 50 * 1024 * 1024) {
      await screen(page, 'downloading').then(() => shot(page, '03-downloading'), () => undefined);
    }
    await screen(page, 'done');
    if (size === 50 * 1024 * 1024) await shot(page, '04-done');
    expect(await savedFile(page, name)).toEqual({ size, sha256: sha256(file.bytes) });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('saves a small file by a Blob download where the File System Access API is missing', async () => {
    const file = await upload('blob-path.txt', Buffer.from('hello from the blob path\n'));
    const { context, page, errors } = await open(file.webUrl, { picker: false });
    await screen(page, 'ready');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download and decrypt' }).click()]);
    expect(download.suggestedFilename()).toBe('blob-path.txt');
    const path = join(root, 'blob-path.out');
    await download.saveAs(path);
    expect(sha256(await import('node:fs/promises').then((fs) => fs.readFile(path)))).toBe(sha256(file.bytes));
    await screen(page, 'done');
    expect(errors).toEqual([]);
    await context.close();
  });

  describe('without the File System Access API, a large file streams through the service worker', () => {
    const big = 20 * 1024 * 1024 + 12_345; // above the page's 16 MiB Blob limit: 321 frames

    it('saves it byte-exact as a download the browser streams', async () => {
      const file = await upload('streamed.bin', randomBytes(big));
      const { context, page, errors } = await open(file.webUrl, { picker: false });
      await screen(page, 'ready');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download and decrypt' }).click()]);
      expect(download.suggestedFilename()).toBe('streamed.bin');
      expect(download.url()).toMatch(new RegExp(`^${t.baseUrl}/download-stream/[0-9a-f]{32}/streamed\\.bin$`));
      expect(await download.failure()).toBeNull();
      expect(sha256(await readFile(await download.path()))).toBe(sha256(file.bytes));
      await screen(page, 'done');
      await shot(page, '13-done-streamed');
      expect(errors).toEqual([]);
      await context.close();
    });

    it('errors the stream of a tampered blob: the browser marks the download failed, nothing is kept', async () => {
      const file = await upload('streamed-tampered.bin', randomBytes(big));
      const key = new URL(file.link).pathname.split('/').slice(-2);
      const stored = join((t.config.storage as { root: string }).root, ...key);
      const blob = await readFile(stored);
      blob[250 * 65_568 + 100] ^= 0x01; // frame 250: over 15 MiB of verified plaintext is streamed first
      await writeFile(stored, blob);
      const { context, page } = await open(file.webUrl, { picker: false });
      await screen(page, 'ready');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download and decrypt' }).click()]);
      expect(await download.failure()).not.toBeNull();
      await expect(download.path()).rejects.toThrow();
      await screen(page, 'tampered');
      await expect(page.locator('[data-screen="tampered"]').textContent()).resolves.toContain('your browser marks it as failed');
      await shot(page, '14-tampered-streamed');
      await context.close();
    });
  });

  it('opens a passphrase file; a wrong passphrase is refused before the download and counts nothing', async () => {
    const file = await upload('passphrase.bin', randomBytes(200_001), true);
    expect(file.webUrl).not.toContain('#');
    const { context, page, errors } = await open(file.webUrl);
    await screen(page, 'passphrase');
    await shot(page, '05-passphrase');
    for (let i = 0; i < 3; i++) {
      await page.getByRole('textbox', { name: 'Passphrase' }).fill(`wrong passphrase ${i}`);
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByRole('alert').waitFor();
    }
    await shot(page, '06-wrong-passphrase');
    expect(await headStatus(file)).toBe(200); // limit 2: three counted tries would have used it up
    await page.getByRole('textbox', { name: 'Passphrase' }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await screen(page, 'ready');
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    await screen(page, 'done');
    expect(await savedFile(page, 'passphrase.bin')).toEqual({ size: 200_001, sha256: sha256(file.bytes) });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses a wrong key in the fragment without counting a download', async () => {
    const file = await upload('wrong-key.bin', randomBytes(1000));
    const wrong = `${file.webUrl.split('#')[0]}#${randomBytes(32).toString('base64url')}`;
    for (let i = 0; i < 3; i++) {
      const { context, page } = await open(wrong);
      await screen(page, 'wrong-key');
      if (i === 0) await shot(page, '07-wrong-key');
      await context.close();
    }
    expect(await headStatus(file)).toBe(200);
    const { context, page } = await open(`${file.webUrl.split('#')[0]}`);
    await screen(page, 'key');
    await shot(page, '08-key-missing');
    await context.close();
  });

  it('saves nothing from a tampered blob: the partial file is removed', async () => {
    const file = await upload('tampered.bin', randomBytes(3 * 65_536 + 10));
    const key = new URL(file.link).pathname.split('/').slice(-2);
    const stored = join((t.config.storage as { root: string }).root, ...key);
    const blob = await import('node:fs/promises').then((fs) => fs.readFile(stored));
    blob[2 * 65_568 + 100] ^= 0x01; // inside the third frame: two frames verify and are written first
    await writeFile(stored, blob);
    const { context, page } = await open(file.webUrl);
    await screen(page, 'ready');
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    await screen(page, 'tampered');
    await shot(page, '09-tampered');
    expect(await savedNames(page)).toEqual([]);
    expect(await page.evaluate('window.__savePicks')).toBe(1);
    await context.close();
  });

  it('shows when the daily limit resets', async () => {
    const file = await upload('limited.bin', randomBytes(10));
    for (let i = 0; i < 2; i++) await (await fetch(file.link, { redirect: 'manual' })).arrayBuffer();
    const { context, page } = await open(file.webUrl);
    await screen(page, 'limit');
    await expect(page.locator('[data-screen="limit"]').textContent()).resolves.toMatch(/\d{4}-\d\d-\d\d 00:00 UTC/);
    await shot(page, '10-limit');
    await context.close();
  });

  it('offers a retry after a network error, with nothing saved', async () => {
    const file = await upload('network.bin', randomBytes(70_000));
    const { context, page } = await open(file.webUrl);
    await screen(page, 'ready');
    await page.route('**/files/download/**', (route) => (route.request().method() === 'GET' ? route.abort('connectionreset') : route.continue()));
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    await screen(page, 'network');
    await shot(page, '12-network-error');
    expect(await savedNames(page)).toEqual([]);
    await page.unroute('**/files/download/**');
    await page.getByRole('button', { name: 'Try again' }).click();
    await screen(page, 'ready');
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    await screen(page, 'done');
    expect(await savedFile(page, 'network.bin')).toEqual({ size: 70_000, sha256: sha256(file.bytes) });
    await context.close();
  });

  it('says when there is no file behind the link', async () => {
    const { context, page } = await open(`${t.baseUrl}/s/usrh-0123456789abcdef0123456789abcdef/3f2a0c1e-8a43-4bb6-9f5e-0d6f0e4f1a2b#${randomBytes(32).toString('base64url')}`, { width: 375 });
    await screen(page, 'not-found');
    await shot(page, '11-not-found-phone');
    await context.close();
  });
});
