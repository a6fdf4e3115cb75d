import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where browser tests put their screenshots (gitignored; look at them). */
export const ARTIFACTS_ROOT = join(__dirname, '../../../test-artifacts');

export function artifactsDir(name: string): string {
  const dir = join(ARTIFACTS_ROOT, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Debian's Chromium, headless, with everything that would reach the network on its own switched off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.COFFER_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Every page error and console error, so a test can assert there were none (a CSP violation is one). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/**
 * Headless Chromium cannot answer the File System Access API's save dialog, so the picker is
 * replaced by one that hands out a file of the origin-private file system: the same
 * FileSystemFileHandle (createWritable, swap file until close, abort, remove), readable back by
 * `savedFile`. `window.__savePicks` counts the dialogs.
 */
export async function stubSavePicker(page: Page): Promise<void> {
  // Page code as strings: this test program is typed for Node, not the DOM.
  await page.addInitScript(`
    window.__savePicks = 0;
    window.showSaveFilePicker = async ({ suggestedName }) => {
      window.__savePicks++;
      const dir = await navigator.storage.getDirectory();
      return dir.getFileHandle('saved-' + suggestedName, { create: true });
    };
  `);
}

/** Removes the File System Access API, so the page falls back to a Blob download (small files). */
export async function withoutSavePicker(page: Page): Promise<void> {
  await page.addInitScript('delete window.showSaveFilePicker; delete Window.prototype.showSaveFilePicker;');
}

/** SHA-256 and size of what the stubbed picker saved under `name`, or undefined when no such file remains. */
export async function savedFile(page: Page, name: string): Promise<{ size: number; sha256: string } | undefined> {
  return page.evaluate(`(async () => {
    const dir = await navigator.storage.getDirectory();
    let handle;
    try {
      handle = await dir.getFileHandle(${JSON.stringify(`saved-${name}`)});
    } catch {
      return undefined;
    }
    const file = await handle.getFile();
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return { size: file.size, sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('') };
  })()`);
}

/** Names the stubbed picker's files hold now. */
export async function savedNames(page: Page): Promise<string[]> {
  return page.evaluate(`(async () => {
    const names = [];
    for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name);
    return names;
  })()`);
}

/** Waits for the recipient page's screen `id` (its `data-screen`). */
export async function screen(page: Page, id: string, timeout = 120_000): Promise<void> {
  await page.locator(`[data-screen="${id}"]`).waitFor({ timeout });
}
