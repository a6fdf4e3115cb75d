import { Body, Controller, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { AccessTokenGuard, AuthenticatedUser } from '../tokens/access-token.guard';
import { CurrentUser } from '../tokens/current-user.decorator';
import { AccountKeysResponse, PutAccountKeysRequest, PutAccountKeysResponse, toAccountKeysResponse } from './account-keys.dto';
import { AccountKeysService } from './account-keys.service';

@ApiTags('keys')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard)
@Controller('api/keys')
export class AccountKeysController {
  constructor(private readonly keys: AccountKeysService) {}

  @Get()
  @RateLimit('keys')
  @ApiOperation({ summary: "[ext] The caller's account public key and wrapped private key" })
  @ApiErrors('getKeys')
  @ApiOkResponse({ type: AccountKeysResponse, description: "The caller's account keys" })
  async get(@CurrentUser() user: AuthenticatedUser): Promise<AccountKeysResponse> {
    return toAccountKeysResponse(await this.keys.get(user.id));
  }

  @Put()
  @HttpCode(200)
  @RateLimit('keys')
  @ApiOperation({ summary: '[ext] Create (version 0) or replace the wrapped private key; the public key is fixed once set' })
  @ApiErrors('putKeys')
  @ApiOkResponse({ type: PutAccountKeysResponse, description: 'Written; the new version' })
  async put(@CurrentUser() user: AuthenticatedUser, @Body() body: PutAccountKeysRequest): Promise<PutAccountKeysResponse> {
    return { version: await this.keys.put(user.id, { publicKey: body.public_key, bundle: body.bundle, version: body.version }) };
  }
}
