import { DynamicModule, Global, Module } from '@nestjs/common';
import type { ObjectStore } from '@coffer/storage';

export const OBJECT_STORE = Symbol('OBJECT_STORE');

/** The object store chosen at boot (S3 or the local filesystem), behind the storage port. */
@Global()
@Module({})
export class StorageModule {
  static forRoot(store: ObjectStore): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: OBJECT_STORE, useValue: store }],
      exports: [OBJECT_STORE],
    };
  }
}
