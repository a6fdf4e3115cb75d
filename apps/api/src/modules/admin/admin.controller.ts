import { Controller, Delete, Headers, HttpCode } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { AdminService } from './admin.service';

@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Delete('reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Development only: wipe every table and every stored object (needs the admin token)' })
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Everything is gone' })
  @ApiErrors('adminReset')
  reset(@Headers('authorization') authorization: string | undefined): Promise<void> {
    return this.admin.reset(authorization);
  }
}
