import { Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { AdminService } from './admin.service';

@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Delete('reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Development only: wipe every table and every stored object' })
  @ApiNoContentResponse({ description: 'Everything is gone' })
  @ApiErrors('adminReset')
  reset(): Promise<void> {
    return this.admin.reset();
  }
}
