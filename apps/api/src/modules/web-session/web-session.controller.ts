import { WEB_CSRF_HEADER, WEB_REFRESH_COOKIE } from '@coffer/contract';
import { Body, Controller, Delete, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../common/api-errors.decorator';
import { DomainError } from '../../common/domain-error';
import { CredentialsRequest } from '../auth/auth.dto';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { readCookie } from './cookies';
import { WebSessionResponse } from './web-session.dto';
import { WebRequest, WebSessionResult, WebSessionService } from './web-session.service';

const CSRF_HEADER_DOC = {
  name: WEB_CSRF_HEADER,
  required: true,
  description: 'Login: any non-empty value. Refresh and logout: the csrf_token of the last login or refresh (cookie coffer_web_csrf)',
};

@ApiTags('web session')
@Controller('api/web/session')
@ApiHeader(CSRF_HEADER_DOC)
export class WebSessionController {
  constructor(private readonly sessions: WebSessionService) {}

  @Post()
  @HttpCode(200)
  @RateLimit('login')
  @ApiOperation({ summary: '[ext] Web login: the refresh token goes into an httpOnly cookie, the access token into the answer' })
  @ApiErrors('webLogin')
  @ApiOkResponse({ type: WebSessionResponse, description: 'Logged in; Set-Cookie carries the refresh and CSRF cookies' })
  async login(@Body() body: CredentialsRequest, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebSessionResponse> {
    return answer(res, await this.sessions.login(webRequest(req), body.email, body.password));
  }

  @Post('refresh')
  @HttpCode(200)
  @RateLimit('refresh')
  @ApiOperation({ summary: '[ext] A new access token for the session cookie, whose refresh token is rotated' })
  @ApiErrors('webRefresh')
  @ApiOkResponse({ type: WebSessionResponse, description: 'A new access token; Set-Cookie carries the rotated cookies' })
  async refresh(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebSessionResponse> {
    noStore(res);
    try {
      return answer(res, await this.sessions.refresh(webRequest(req)));
    } catch (error) {
      // A dead session's cookies are of no use to anyone: the page starts over at login.
      if (error instanceof DomainError && error.code === 'INVALID_TOKEN') res.setHeader('Set-Cookie', this.sessions.clearCookies());
      throw error;
    }
  }

  @Delete()
  @HttpCode(204)
  @RateLimit('refresh')
  @ApiOperation({ summary: '[ext] Web logout: ends the login of the session cookie (its access tokens too) and clears the cookies' })
  @ApiErrors('webLogout')
  @ApiNoContentResponse({ description: 'Logged out (also when there was no session)' })
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    noStore(res);
    res.setHeader('Set-Cookie', await this.sessions.logout(webRequest(req)));
  }
}

function webRequest(req: Request): WebRequest {
  return {
    refreshCookie: readCookie(req.headers.cookie, WEB_REFRESH_COOKIE) || undefined,
    csrfHeader: req.get(WEB_CSRF_HEADER) || undefined,
    origin: req.get('origin'),
    host: req.get('host'),
    fetchSite: req.get('sec-fetch-site'),
  };
}

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

function answer(res: Response, result: WebSessionResult): WebSessionResponse {
  noStore(res);
  res.setHeader('Set-Cookie', result.setCookies);
  return { access_token: result.accessToken, csrf_token: result.csrfToken };
}
