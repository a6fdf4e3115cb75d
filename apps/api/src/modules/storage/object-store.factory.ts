import { hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import { FsObjectStore, ObjectStore, S3ObjectStore } from '@coffer/storage';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';

/** The driver DESIGN.md's configuration asks for. */
export function buildObjectStore(config: AppConfig, clock?: Clock): ObjectStore {
  const storage = config.storage;
  if (storage.driver === 's3') {
    const { driver: _driver, ...s3 } = storage;
    return S3ObjectStore.fromConfig(s3, clock);
  }
  fs.mkdirSync(storage.root, { recursive: true, mode: 0o700 });
  return new FsObjectStore({ root: storage.root, publicBaseUrl: config.publicUrl, secret: fsUrlSigningKey(config.secrets.jwt), clock });
}

/** A key of its own for storage URLs, derived so that no extra secret has to be configured. */
function fsUrlSigningKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'coffer', 'coffer/v1/fs-url-signing', 32));
}
