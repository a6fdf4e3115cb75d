/**
 * Large uploads from the owner web app (issue 17 on top of issue 19's multipart uploads), in
 * Debian's Chromium against a real server whose MULTIPART_THRESHOLD_BYTES is low, so a file of a
 * few MiB takes the multipart path: its parts go in parallel, encrypted each on its own, and
 * `coffer decrypt` of the web link gives the file back byte-exact. Cancelling in the middle
 * aborts the upload on the server: no file, no object, no parts in storage, usage as before.
 * Screenshots go to test-artifacts/owner-multipart/.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { artifactsDir, collectPageErrors, launchChromium } from './browser';

/** The built `coffer` binary, run as its own process (apps/web may not import apps/cli). */
const CLI = join(__dirname, '../../cli/bin/coffer.js');
const EMAIL = 'owner-multipart@example.com';
const PASSWORD = 'account password 1';
const VAULT_PASSWORD = 'vault password for the web';
/** 80 frames of 65,568 bytes: the smallest part the server plans (S3's 5 MiB minimum). */
const PART_FRAMES = 80;
const PART_SIZE = PART_FRAMES * 65_568;
const PART_QUERY = 'X-Coffer-Part-Number';

function coffer(args: string[], home: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, COFFER_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

jest.setTimeout(300_000);

describe('owner web app: multipart uploads in Chromium (issue 17)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let errors: string[];
  const artifacts = artifactsDir('owner-multipart');
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-owner-multipart-'));
    t = await startTestApp({ env: { MULTIPART_THRESHOLD_BYTES: String(1024 * 1024), MULTIPART_PART_FRAMES: String(PART_FRAMES) } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    errors = collectPageErrors(page);
    await registerAndUnlock(page, t);
    // A new account's first unlock meets 404 (no account key yet): not what these tests look at.
    errors.length = 0;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a file of several parts, several at once, and coffer decrypt of its web link is byte-exact', async () => {
    const size = 3 * PART_FRAMES * 65_536 + 123_457; // four parts, the last one short
    const bytes = randomBytes(size);
    const path = join(dir, 'several-parts.bin');
    writeFileSync(path, bytes);
    // Part 1 is held until another part's PUT has started: a page that sent one part after
    // another would never get there (and this test would time out). Only part 1 goes through
    // the interception (slow for megabytes); the others are just watched.
    const partPuts: number[] = [];
    const partOf = (url: string) => Number(new URL(url).searchParams.get(PART_QUERY));
    let anotherStarted!: () => void;
    const another = new Promise<void>((resolve) => (anotherStarted = resolve));
    const watch = (request: { method(): string; url(): string }) => {
      if (request.method() !== 'PUT' || !new URL(request.url()).searchParams.has(PART_QUERY)) return;
      partPuts.push(partOf(request.url()));
      if (partOf(request.url()) !== 1) anotherStarted();
    };
    page.on('request', watch);
    const firstPart = (url: URL) => url.searchParams.get(PART_QUERY) === '1';
    await page.route(firstPart, async (route) => {
      await another;
      await route.continue();
    });

    await page.setInputFiles('#upload', path);
    await page.getByText('Uploaded several-parts.bin.').waitFor({ timeout: 120_000 });
    await page.locator('.file-name', { hasText: 'several-parts.bin' }).waitFor();
    await shot('01-uploaded');
    page.off('request', watch);
    await page.unroute(firstPart);
    expect([...partPuts].sort()).toEqual([1, 2, 3, 4]);

    const [row] = await listFiles();
    expect({ status: row.status, size: row.encrypted_size_bytes }).toEqual({ status: 'uploaded', size: 3 * PART_SIZE + 123_457 + 32 * 2 });

    await page.getByRole('button', { name: 'Share several-parts.bin' }).click();
    const link = await page.locator('#share-link').inputValue();
    const [, origin, owner, fileId, fragment] = /^(http:\/\/[^/]+)\/s\/(usrh-[0-9a-f]{32})\/([0-9a-f-]{36})#([A-Za-z0-9_-]{43})$/.exec(link)!;
    const out = join(dir, 'out.bin');
    const run = await coffer(['decrypt', `${origin}/files/download/${owner}/${fileId}`, out, '--key', Buffer.from(fragment, 'base64url').toString('base64')], join(dir, 'home'));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const plain = readFileSync(out);
    expect({ size: plain.length, sha256: sha(plain) }).toEqual({ size, sha256: sha(bytes) });
    await page.getByRole('button', { name: 'Close' }).click();
    expect(errors).toEqual([]);
  });

  it('cancel in the middle aborts the upload on the server: no file, no object, no parts left, usage as before', async () => {
    const before = await usage();
    const objectsBefore = await storedKeys();
    const path = join(dir, 'cancelled.bin');
    writeFileSync(path, randomBytes(8 * PART_FRAMES * 65_536)); // nine parts
    // Parts 1 and 2 reach storage; the others are held until the page gives up on them.
    const held: Route[] = [];
    let stored = 0;
    const partsStored = new Promise<void>((resolve) => {
      page.on('requestfinished', (request) => {
        const part = Number(new URL(request.url()).searchParams.get(PART_QUERY) ?? 0);
        if (request.method() === 'PUT' && part >= 1 && part <= 2 && ++stored === 2) resolve();
      });
    });
    const laterParts = (url: URL) => Number(url.searchParams.get(PART_QUERY) ?? 0) > 2;
    await page.route(laterParts, (route) => void held.push(route));

    await page.setInputFiles('#upload', path);
    await partsStored;
    await page.getByText(/Uploading cancelled\.bin/).waitFor();
    await shot('02-uploading');
    expect(await storedParts()).toBe(2);
    await page.getByRole('button', { name: 'Cancel upload' }).click();
    await page.getByText('The upload of cancelled.bin was cancelled; nothing of it was kept.').waitFor({ timeout: 60_000 });
    await shot('03-cancelled');
    // The held PUTs were cut by the page: letting them go now must find nothing to go to.
    await Promise.all(held.map((route) => route.continue().catch(() => undefined)));
    await page.unroute(laterParts);

    expect((await listFiles()).map((f) => f.status)).toEqual(['uploaded']);
    expect(await storedParts()).toBe(0);
    expect(await storedKeys()).toEqual(objectsBefore);
    expect(await usage()).toEqual(before);
    expect(errors.filter((e) => !/net::ERR_FAILED|ERR_ABORTED|Failed to load resource/.test(e))).toEqual([]);
  });

  async function token(): Promise<string> {
    const res = await fetch(`${t.baseUrl}/api/user/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function listFiles(): Promise<Array<{ file_id: string; status: string; encrypted_size_bytes: number }>> {
    return (await fetch(`${t.baseUrl}/api/files/all`, { headers: { Authorization: `Bearer ${await token()}` } })).json();
  }

  async function usage(): Promise<unknown> {
    return (await fetch(`${t.baseUrl}/api/user/usage`, { headers: { Authorization: `Bearer ${await token()}` } })).json();
  }

  async function storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of t.store.list('')) keys.push(object.key);
    return keys.sort();
  }

  /** Parts in storage across every multipart upload not yet completed or aborted. */
  async function storedParts(): Promise<number> {
    let count = 0;
    for await (const upload of t.store.listMultipartUploads('')) count += (await t.store.listParts(upload.key, upload.uploadId)).length;
    return count;
  }
});

/** Register with the mailed code, log in and create the account key, as a person does (owner.e2e-spec.ts). */
async function registerAndUnlock(page: Page, t: TestApp): Promise<void> {
  await page.goto(`${t.baseUrl}/`);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('E-mail').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  const mailsBefore = t.mail.messages.length;
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
  await page.getByLabel('Code').fill(await t.mail.codeFor(EMAIL, { after: mailsBefore }));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Unlock your files' }).waitFor();
  await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Create your account key' }).waitFor();
  await page.getByLabel('Vault password').fill(VAULT_PASSWORD);
  await page.getByRole('button', { name: 'Create the key' }).click();
  await page.getByRole('heading', { name: 'Your files' }).waitFor({ timeout: 60_000 });
}
