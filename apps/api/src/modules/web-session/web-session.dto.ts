import type * as wire from '@coffer/contract';
import { ApiProperty } from '@nestjs/swagger';

export class WebSessionResponse implements wire.WebSessionResponse {
  @ApiProperty({ description: 'HS256 JWT for `Authorization: Bearer`; the page keeps it in memory only' })
  access_token!: string;

  @ApiProperty({ description: 'The X-Coffer-CSRF value for the next refresh and for logout (also in the coffer_web_csrf cookie)' })
  csrf_token!: string;
}
