import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { RefreshTokenService } from './refresh-token.service';
import { RefreshRequest, RefreshResponse, RevokeRequest } from './tokens.dto';

@ApiTags('tokens')
@Controller('api/token')
@RateLimit('refresh')
export class TokenController {
  constructor(private readonly refreshTokens: RefreshTokenService) {}

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new access token; with "rotate": true also a new refresh token replacing this one' })
  @ApiErrors('refresh')
  @ApiOkResponse({ type: RefreshResponse, description: 'A new access token (and with rotate, a new refresh token)' })
  async refresh(@Body() body: RefreshRequest): Promise<RefreshResponse> {
    const result = await this.refreshTokens.refresh(body.refresh_token, body.rotate ?? false);
    return result.refreshToken ? { access_token: result.accessToken, refresh_token: result.refreshToken } : { access_token: result.accessToken };
  }

  @Post('revoke')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session the refresh token belongs to' })
  @ApiErrors('revoke')
  @ApiNoContentResponse({ description: 'Revoked, or nothing matched' })
  async revoke(@Body() body: RevokeRequest): Promise<void> {
    await this.refreshTokens.revoke(body.refresh_token);
  }
}
