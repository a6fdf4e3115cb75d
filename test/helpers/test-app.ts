import net from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ObjectStore } from '@coffer/storage';
import { createApp } from '../../apps/api/src/app/create-app';
import { AppConfig } from '../../apps/api/src/config/app-config';
import { loadConfig } from '../../apps/api/src/config/config';
import { Database, openDatabase } from '../../apps/api/src/database/database';
import { buildObjectStore } from '../../apps/api/src/modules/storage/object-store.factory';
import { Clock } from '../../apps/api/src/common/clock';
import { createTestDatabase, TestDatabase } from './database';
import { S3TestServer, startS3Server } from './s3-server';
import { SmtpCapture } from './smtp-capture';
import { FULL_TIER } from './test-tier';

export type StorageKind = 'fs' | 's3';

/** 1 MiB, one pass: ~1 ms per hash instead of ~0.3 s; the production cost has its own unit test. */
export const TEST_PASSWORD_HASH_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

export interface TestAppOptions {
  storage?: StorageKind;
  /** Extra environment, e.g. limits; rate limiting is off unless set here. */
  env?: Record<string, string>;
  clock?: Clock;
}

/** The whole server on a random loopback port with a fresh database, real storage and SMTP capture. */
export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  config: AppConfig;
  database: Database;
  store: ObjectStore;
  mail: SmtpCapture;
  s3?: S3TestServer;
  close(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const storage = options.storage ?? 'fs';
  const [testDb, mail, s3, port] = await Promise.all([
    createTestDatabase(),
    SmtpCapture.start(),
    storage === 's3' ? startS3Server() : Promise.resolve(undefined),
    freePort(),
  ]);
  const loaded = loadConfig({
    APP_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: testDb.dataDir,
    DATABASE_URL: testDb.url,
    SMTP_URL: mail.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_ENABLED: 'false',
    ...(s3 ? { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey } : {}),
    ...options.env,
  });
  // Login passwords at a fraction of the production Argon2id cost (honoured under APP_ENV=test only).
  const config: AppConfig = FULL_TIER ? loaded : { ...loaded, testPasswordHashCost: TEST_PASSWORD_HASH_COST };
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  // The S3 test server needs an SDK workaround that production code must not carry.
  const store = s3 ? s3.store() : buildObjectStore(config, options.clock);
  const app = await createApp({ config, database, store, clock: options.clock });
  await app.listen(config.port, config.host);
  return {
    app,
    baseUrl: config.publicUrl,
    config,
    database,
    store,
    mail,
    s3,
    close: () => closeAll(app, testDb, mail, s3),
  };
}

async function closeAll(app: NestExpressApplication, testDb: TestDatabase, mail: SmtpCapture, s3?: S3TestServer): Promise<void> {
  await app.close();
  await Promise.all([mail.stop(), s3?.stop()]);
  await testDb.drop();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
