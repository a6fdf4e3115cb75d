import { Body, Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { CredentialsRequest } from '../auth/auth.dto';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { AccountDeletionService } from './account-deletion.service';

@ApiTags('accounts')
@Controller('api/user')
export class AccountDeletionController {
  constructor(private readonly deletion: AccountDeletionService) {}

  @Delete()
  @HttpCode(204)
  @RateLimit('login')
  @ApiOperation({ summary: 'Delete the account, its files, stored objects and tokens (no bearer: e-mail and password)' })
  @ApiErrors('deleteAccount')
  @ApiNoContentResponse({ description: 'Deleted' })
  async deleteAccount(@Body() body: CredentialsRequest): Promise<void> {
    await this.deletion.deleteAccount(body.email, body.password);
  }
}
