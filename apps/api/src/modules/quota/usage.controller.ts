import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { QuotaService } from './quota.service';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { AccessTokenGuard, AuthenticatedUser } from '../tokens/access-token.guard';
import { CurrentUser } from '../tokens/current-user.decorator';
import { toUsageResponse, UsageResponse } from './quota.dto';

@ApiTags('files')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard)
@Controller('api/user')
export class UsageController {
  constructor(private readonly quota: QuotaService) {}

  @Get('usage')
  @RateLimit('files')
  @ApiOperation({ summary: "[ext] The caller's storage use and limits" })
  @ApiErrors('usage')
  @ApiOkResponse({ type: UsageResponse, description: 'Use and limits' })
  async usage(@CurrentUser() user: AuthenticatedUser): Promise<UsageResponse> {
    return toUsageResponse(await this.quota.usage(user.id));
  }
}
