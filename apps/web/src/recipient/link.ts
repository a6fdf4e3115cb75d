import { fromBase64Url, type Bytes } from '../crypto/bytes';

export interface ShareLink {
  owner: string;
  fileId: string;
  /** The vault-mode key from the URL fragment (never sent: browsers keep the fragment to themselves). */
  key?: Bytes;
  /** A fragment was there but is not a 32-byte key. */
  badKey: boolean;
}

/** `/s/<owner segment>/<file id>#<key base64url>` of this page's own URL. */
export function readShareLink(location: Location): ShareLink | undefined {
  const match = /^\/s\/([^/]+)\/([^/]+)\/?$/.exec(location.pathname);
  if (!match) return undefined;
  const fragment = decodeURIComponent(location.hash.replace(/^#/, ''));
  const key = fragment ? fromBase64Url(fragment, 32) : undefined;
  return { owner: decodeURIComponent(match[1]), fileId: decodeURIComponent(match[2]), key, badKey: Boolean(fragment) && !key };
}
