import { createHmac } from 'node:crypto';
import { Controller, DynamicModule, Get, Module, UseGuards } from '@nestjs/common';
import { AppModule } from '../../src/app/app.module';
import { AccessTokenGuard, AuthenticatedUser } from '../../src/modules/tokens/access-token.guard';
import { CurrentUser } from '../../src/modules/tokens/current-user.decorator';
import { TokensModule } from '../../src/modules/tokens/tokens.module';
import { startTestApp, TestApp, TestAppOptions } from '../../../../test/helpers/test-app';
import { call, HttpResult } from '../../../../test/helpers/http';

/**
 * A throwaway bearer route, `GET /test/whoami`, guarded by the real `AccessTokenGuard`. It is
 * mounted into the otherwise unchanged application so the token checks are tested over HTTP
 * without depending on another feature's routes.
 */
@Controller('test')
@UseGuards(AccessTokenGuard)
class WhoAmIController {
  @Get('whoami')
  whoami(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }
}

@Module({ imports: [TokensModule], controllers: [WhoAmIController] })
class WhoAmIModule {}

/** `startTestApp`, plus `GET /test/whoami` (200 `{id}` for a valid access token). */
export async function startAuthTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const forRoot = AppModule.forRoot.bind(AppModule);
  const spy = jest.spyOn(AppModule, 'forRoot').mockImplementation((deps): DynamicModule => {
    const module = forRoot(deps);
    return { ...module, imports: [...(module.imports ?? []), WhoAmIModule] };
  });
  try {
    return await startTestApp(options);
  } finally {
    spy.mockRestore();
  }
}

export interface Registered {
  id: string;
  email: string;
  password: string;
}

/** register → code from the captured mail → verify, asserting each step. */
export async function registerVerified(t: TestApp, email: string, password = 'correct horse battery'): Promise<Registered> {
  const after = t.mail.messages.length;
  const registered = await call(t, 'POST', '/api/user/register', { body: { email, password } });
  expect(registered.status).toBe(201);
  const otp = await t.mail.codeFor(email, { after });
  const verified = await call(t, 'PATCH', '/api/user/verify', { body: { email, otp } });
  expect(verified.status).toBe(204);
  return { id: registered.body.id, email, password };
}

export async function login(t: TestApp, email: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await call(t, 'POST', '/api/user/login', { body: { email, password } });
  expect(res.status).toBe(200);
  return res.body;
}

export function whoami(t: TestApp, accessToken: string): Promise<HttpResult> {
  return call(t, 'GET', '/test/whoami', { headers: { Authorization: `Bearer ${accessToken}` } });
}

/** A compact JWS with any header, payload and HMAC key, for forging tokens. */
export function signJwt(header: object, payload: object, secret: string | undefined, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = secret === undefined ? '' : createHmac(algorithm, secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));
}
