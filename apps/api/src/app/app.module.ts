import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { ObjectStore } from '@coffer/storage';
import { Clock } from '../common/clock';
import { ErrorFilter } from '../common/error.filter';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import type { Database } from '../database/database';
import { DatabaseModule } from '../database/database.module';
import { AccountDeletionModule } from '../modules/account-deletion/account-deletion.module';
import { AccountKeysModule } from '../modules/account-keys/account-keys.module';
import { AdminModule } from '../modules/admin/admin.module';
import { DownloadsModule } from '../modules/downloads/downloads.module';
import { FilesModule } from '../modules/files/files.module';
import { AuthModule } from '../modules/auth/auth.module';
import { HealthModule } from '../modules/health/health.module';
import { MetricsModule } from '../modules/metrics/metrics.module';
import { RateLimitModule } from '../modules/rate-limit/rate-limit.module';
import { StorageModule } from '../modules/storage/storage.module';
import { TokensModule } from '../modules/tokens/tokens.module';
import { WebModule } from '../modules/web/web.module';
import { WebSessionModule } from '../modules/web-session/web-session.module';
import { LoggingModule } from './logging.module';

export interface AppDependencies {
  config: AppConfig;
  database: Database;
  store: ObjectStore;
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot({ config, database, store, clock }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, clock),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(database),
        StorageModule.forRoot(store),
        ScheduleModule.forRoot(),
        HealthModule,
        MetricsModule,
        RateLimitModule,
        AuthModule,
        TokensModule,
        FilesModule,
        DownloadsModule,
        AccountKeysModule,
        AccountDeletionModule,
        AdminModule,
        WebSessionModule,
        WebModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
