import { Body, Controller, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
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
  @ApiErrors('register')
  @ApiCreatedResponse({ type: RegisterResponse, description: 'Registered (pending until verified); the code is on its way' })
  async register(@Body() body: RegisterRequest): Promise<RegisterResponse> {
    return RegisterResponse.from(await this.registration.register(body.email, body.password));
  }

  @Patch('verify')
  @HttpCode(204)
  @RateLimit('verify')
  @ApiOperation({ summary: 'Verify the account with the e-mailed code' })
  @ApiErrors('verify')
  @ApiNoContentResponse({ description: 'Verified' })
  async verify(@Body() body: VerifyRequest): Promise<void> {
    await this.registration.verify(body.email, body.otp);
  }

  @Post('verify/resend')
  @HttpCode(202)
  @RateLimit('resend')
  @ApiOperation({ summary: '[ext] Mail a new code for each live registration attempt (older ones become void, expiry unchanged); the answer is the same for every e-mail' })
  @ApiErrors('resend')
  @ApiAcceptedResponse({ description: 'Accepted' })
  resend(@Body() body: ResendRequest): void {
    this.registration.resend(body.email);
  }

  @Post('login')
  @HttpCode(200)
  @RateLimit('login')
  @ApiOperation({ summary: 'Start a session' })
  @ApiErrors('login')
  @ApiOkResponse({ type: LoginResponse, description: 'An access and a refresh token' })
  async login(@Body() body: CredentialsRequest): Promise<LoginResponse> {
    const tokens = await this.accounts.login(body.email, body.password);
    return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken };
  }

}
