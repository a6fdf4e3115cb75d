import { Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminService } from './admin.service';

@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Delete('reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Development only: wipe every table and every stored object' })
  @ApiNoContentResponse({ description: 'Everything is gone' })
  @ApiForbiddenResponse({ description: 'The server does not run in development mode' })
  reset(): Promise<void> {
    return this.admin.reset();
  }
}
