import type { AppConfig, StorageConfig } from '../../config/app-config';

/**
 * Origins the browser downloads blobs from: the download route answers 303 to a signed URL there.
 * fs: this server under PUBLIC_URL. S3: the public (else internal) endpoint, with the bucket's
 * virtual host when paths are not forced; AWS itself when no endpoint is configured.
 */
export function storageOrigins(storage: StorageConfig, publicUrl: string): string[] {
  if (storage.driver === 'fs') return [new URL(publicUrl).origin];
  const endpoint = storage.publicEndpoint ?? storage.endpoint;
  if (!endpoint) return [`https://${storage.bucket}.s3.${storage.region}.amazonaws.com`, `https://s3.${storage.region}.amazonaws.com`];
  const url = new URL(endpoint);
  if (storage.forcePathStyle) return [url.origin];
  return [url.origin, `${url.protocol}//${storage.bucket}.${url.host}`];
}

/**
 * The pages' policy: nothing inline, nothing from elsewhere, fetches only to this server and the
 * blob storage. 'wasm-unsafe-eval' lets the page compile Argon2id's WebAssembly (hash-wasm), which
 * Chromium otherwise refuses under script-src 'self'; it permits no JavaScript eval.
 */
export function webContentSecurityPolicy(config: Pick<AppConfig, 'storage' | 'publicUrl'>): string {
  const connect = ["'self'", ...new Set(storageOrigins(config.storage, config.publicUrl))];
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "img-src 'self' data:",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
