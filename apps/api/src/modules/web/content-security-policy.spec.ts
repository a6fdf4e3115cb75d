import { storageOrigins, webContentSecurityPolicy } from './content-security-policy';

const s3 = { driver: 's3' as const, region: 'eu-west-1', bucket: 'coffer', forcePathStyle: true };

describe('the pages’ content security policy', () => {
  it('lets the page fetch only from this server and the blob storage', () => {
    const csp = webContentSecurityPolicy({ publicUrl: 'https://vault.example.com', storage: { ...s3, endpoint: 'http://minio:9000', publicEndpoint: 'https://files.example.com:9443' } });
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "connect-src 'self' https://files.example.com:9443",
      "img-src 'self' data:",
      "worker-src 'self'",
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]);
    expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'|\*/);
  });

  it.each([
    ['fs: PUBLIC_URL', { driver: 'fs' as const, root: '/data' }, ['https://vault.example.com']],
    ['S3 with a forced path style: the endpoint', { ...s3, endpoint: 'http://127.0.0.1:9000/' }, ['http://127.0.0.1:9000']],
    ['S3 virtual-hosted: the endpoint and the bucket host', { ...s3, forcePathStyle: false, endpoint: 'https://s3.example.net' }, ['https://s3.example.net', 'https://coffer.s3.example.net']],
    ['AWS without an endpoint', { ...s3, forcePathStyle: false }, ['https://coffer.s3.eu-west-1.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com']],
  ])('storage origin for %s', (_what, storage, origins) => {
    expect(storageOrigins(storage, 'https://vault.example.com/base/')).toEqual(origins);
  });
});
