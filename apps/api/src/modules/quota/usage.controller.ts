import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
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
  @ApiOkResponse({ type: UsageResponse })
  @ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or revoked access token' })
  async usage(@CurrentUser() user: AuthenticatedUser): Promise<UsageResponse> {
    return toUsageResponse(await this.quota.usage(user.id));
  }
}
