import { createFsBlobHandler, FS_STORAGE_PATH, FsObjectStore, FsStoreError, ObjectStore } from '@coffer/storage';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { isDatabaseUnavailable } from '../common/database-unavailable';
import { createValidationPipe } from '../common/validation';
import { AppDependencies, AppModule } from './app.module';
import { answerClientErrorsAsJson, requireHost } from './client-errors';
import { refuseDeepJson } from './json-depth';
import { UploadPermissions } from '../modules/files/upload-permissions';
import { httpMetrics } from '../modules/metrics/http-metrics';
import { Metrics } from '../modules/metrics/metrics';
import { securityHeaders } from './security-headers';
import { apiBodyDeadline, applyServerTimeouts } from './server-timeouts';

/** Builds the configured HTTP application; `main.ts` and the e2e tests share it. */
export async function createApp(deps: AppDependencies): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', deps.config.trustProxy);
  app.disable('x-powered-by');
  app.use(httpMetrics(app.get(Metrics)));
  app.use(securityHeaders());
  const receivesUploads = deps.store instanceof FsObjectStore;
  applyServerTimeouts(app.getHttpServer(), receivesUploads ? deps.config.ttl.presignSeconds * 1000 : undefined);
  answerClientErrorsAsJson(app.getHttpServer());
  app.use(requireHost);
  mountBlobStorage(app, deps.store);
  if (receivesUploads) app.use(apiBodyDeadline());
  // Nest keeps `verify` out of the option type (it is reserved for `rawBody`, off here) but hands it to body-parser.
  const jsonOptions = { limit: '1mb', verify: refuseDeepJson };
  app.useBodyParser('json', jsonOptions);
  app.useGlobalPipes(createValidationPipe());
  if (deps.config.apiDocsEnabled) mountApiDocs(app);
  return app;
}

/**
 * The fs driver's signed upload/download URLs are served by this process. The handler must see
 * the raw PUT stream, so it is mounted before any body parser.
 */
function mountBlobStorage(app: NestExpressApplication, store: ObjectStore): void {
  if (!(store instanceof FsObjectStore)) return;
  const logger = new NestLogger('BlobStorage');
  // Resolved per request: the files module (and its database) decides whether a key still takes an upload.
  const permissions = app.get(UploadPermissions);
  app.use(
    FS_STORAGE_PATH.replace(/\/$/, ''),
    createFsBlobHandler(store, {
      onError: (err: unknown) => logger.error(err instanceof Error ? err.stack : String(err)),
      mayUpload: (key, part) =>
        permissions.check(key, part).catch((err: unknown) => {
          if (isDatabaseUnavailable(err)) throw new FsStoreError('STORAGE_UNAVAILABLE', 'the database cannot be reached', { cause: err });
          throw err;
        }),
    }),
  );
}

/**
 * The OpenAPI document at /api/docs-json (browsable at /api/docs). Its error responses come from
 * the per-route codes of @coffer/contract; a test checks it against docs/API.md.
 */
function mountApiDocs(app: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Coffer API')
      .setDescription(
        'End-to-end encrypted file vault; wire-compatible with the Hashdrop API ([ext] marks extensions). ' +
          'Every error is {"error": "<sentence>", "code": "<CODE>"}; each response lists the codes the route can answer ' +
          '(any route can also answer 500 INTERNAL_ERROR). The contract in words: docs/API.md.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
}
