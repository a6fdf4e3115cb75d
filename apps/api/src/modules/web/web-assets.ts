import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';

/** apps/web/dist, from apps/api/{src,dist}/modules/web (the image keeps the same layout under /app). */
export const WEB_DIST_DIR = join(__dirname, '..', '..', '..', '..', 'web', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface WebAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * The built pages, read once at start: a few hundred kB, so answering from memory is simpler and
 * faster than the file system, and a request path can never reach outside the directory.
 */
export class WebAssets {
  private readonly files = new Map<string, WebAsset>();

  constructor(readonly dir: string = WEB_DIST_DIR) {
    if (existsSync(dir)) this.load(dir);
  }

  get built(): boolean {
    return this.files.has('index.html') || this.files.has('s.html');
  }

  /** `relativePath` as in the URL without the leading slash, e.g. `assets/app-1234.js`. */
  get(relativePath: string): WebAsset | undefined {
    return this.files.get(relativePath);
  }

  private load(dir: string): void {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        this.load(full);
        continue;
      }
      const type = TYPES[extname(name).toLowerCase()];
      if (!type) continue;
      const body = readFileSync(full);
      const key = relative(this.dir, full).split(sep).join('/');
      this.files.set(key, { body, contentType: type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
  }
}
