import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient } from '../generated/prisma/client';
import type { Database } from './database';
import { DATABASE } from './database.token';
import { ExclusiveJobRunner } from './exclusive-job';

/** Exposes an already opened and migrated database; repositories inject `PrismaClient`. */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  static forRoot(database: Database): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE, useValue: database },
        { provide: PrismaClient, useValue: database.prisma },
        ExclusiveJobRunner,
      ],
      exports: [DATABASE, PrismaClient, ExclusiveJobRunner],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
