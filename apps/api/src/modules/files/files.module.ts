import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { QuotaModule } from '../quota/quota.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { FileMaintenanceService } from './file-maintenance.service';
import { FileObjects } from './file-objects';
import { FileReconciliationService } from './file-reconciliation.service';
import { FileRepository } from './file.repository';
import { FilesController } from './files.controller';
import { FilesScheduler } from './files.scheduler';
import { FilesService } from './files.service';
import { MultipartCompletion } from './multipart-completion';
import { MultipartSweeper } from './multipart-sweeper.service';
import { MultipartUploadsService } from './multipart-uploads.service';
import { UploadPermissions } from './upload-permissions';

/** Uploads, the owner's file views, deletion and the upload clean-up jobs. */
@Module({
  imports: [QuotaModule, TokensModule, RateLimitModule, MetricsModule],
  controllers: [FilesController],
  providers: [
    FileRepository,
    FileObjects,
    FilesService,
    MultipartUploadsService,
    MultipartCompletion,
    MultipartSweeper,
    FileMaintenanceService,
    FileReconciliationService,
    UploadPermissions,
    FilesScheduler,
  ],
  exports: [FileRepository, FileMaintenanceService, UploadPermissions],
})
export class FilesModule {}
