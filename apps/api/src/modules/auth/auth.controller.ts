import { Body, Controller, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { AccountService } from './account.service';
import { CredentialsRequest, LoginResponse, RegisterRequest, RegisterResponse, ResendRequest, VerifyRequest } from './auth.dto';
import { RegistrationService } from './registration.service';

@ApiTags('accounts')
@Controller('api/user')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly accounts: AccountService,
  ) {}

  @Post('register')
  @HttpCode(201)
  @RateLimit('register')
  @ApiOperation({ summary: 'Create an account (or replace a pending registration) and e-mail a 6-digit code' })
  @ApiCreatedResponse({ type: RegisterResponse })
  @ApiBadRequestResponse({ description: 'Invalid e-mail, or a password shorter than 8 characters' })
  @ApiConflictResponse({ description: 'A verified account has this e-mail' })
  @ApiServiceUnavailableResponse({ description: 'The mail could not be sent; nothing was saved' })
  async register(@Body() body: RegisterRequest): Promise<RegisterResponse> {
    return RegisterResponse.from(await this.registration.register(body.email, body.password));
  }

  @Patch('verify')
  @HttpCode(204)
  @RateLimit('verify')
  @ApiOperation({ summary: 'Verify the account with the e-mailed code' })
  @ApiNoContentResponse({ description: 'Verified' })
  @ApiBadRequestResponse({ description: 'No live code (expired): request a new one' })
  @ApiUnauthorizedResponse({ description: 'Wrong code, or no unverified account with this e-mail' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong codes: the code is void' })
  async verify(@Body() body: VerifyRequest): Promise<void> {
    await this.registration.verify(body.email, body.otp);
  }

  @Post('verify/resend')
  @HttpCode(202)
  @RateLimit('resend')
  @ApiOperation({ summary: '[ext] Mail a new code (older ones become void); the answer is the same for every e-mail' })
  @ApiAcceptedResponse({ description: 'Accepted' })
  resend(@Body() body: ResendRequest): void {
    this.registration.resend(body.email);
  }

  @Post('login')
  @HttpCode(200)
  @RateLimit('login')
  @ApiOperation({ summary: 'Start a session' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiUnauthorizedResponse({ description: 'Unknown e-mail, unverified account or wrong password (one answer for all)' })
  async login(@Body() body: CredentialsRequest): Promise<LoginResponse> {
    const tokens = await this.accounts.login(body.email, body.password);
    return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken };
  }

}
