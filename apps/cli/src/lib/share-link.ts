import { UsageError } from './errors';

/** A share link `<base>/files/download/<owner hash>/<file id>`, taken apart. */
export interface ShareLink {
  /** Server base URL the link points at (origin plus any path before `/files/download`). */
  base: string;
  ownerHash: string;
  fileId: string;
  /** The link itself, normalized. */
  downloadUrl: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OWNER_HASH = /^[A-Za-z0-9._-]{1,128}$/;
const DOWNLOAD_PATH = /^(.*)\/files\/download\/([^/]+)\/([^/]+)\/?$/;

export function parseShareLink(link: string): ShareLink {
  const hint = 'A share link looks like https://<server>/files/download/usrh-<hex>/<file id>; `coffer share <id>` prints one.';
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    throw new UsageError(`not a share link: ${JSON.stringify(link)}`, hint);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('a share link must use http or https', hint);
  const match = DOWNLOAD_PATH.exec(url.pathname);
  if (!match) throw new UsageError(`not a share link: ${JSON.stringify(link)}`, hint);
  const [, basePath, rawHash, rawId] = match;
  const ownerHash = decodeURIComponent(rawHash);
  const fileId = decodeURIComponent(rawId).toLowerCase();
  if (!OWNER_HASH.test(ownerHash) || !UUID.test(fileId)) throw new UsageError(`not a share link: ${JSON.stringify(link)}`, hint);
  const base = `${url.origin}${basePath}`;
  return { base, ownerHash, fileId, downloadUrl: `${base}/files/download/${ownerHash}/${fileId}` };
}

/** The link a file is shared by: `<server>/files/download/<s3 key>` (docs/API.md). */
export function buildShareLink(server: string, objectKey: string): string {
  return `${server.replace(/\/+$/, '')}/files/download/${objectKey}`;
}

/**
 * The browser link of a share (issue 17): `<server>/s/<owner hash>/<file id>`, with a vault-mode
 * key in the fragment as unpadded base64url. Browsers never send the fragment, so the server
 * that serves the page never sees the key.
 */
export function buildWebLink(server: string, objectKey: string, key?: Uint8Array): string {
  const page = `${server.replace(/\/+$/, '')}/s/${objectKey}`;
  return key ? `${page}#${Buffer.from(key).toString('base64url')}` : page;
}
