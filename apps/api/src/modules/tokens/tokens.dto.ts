import type * as wire from '@coffer/contract';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshRequest implements wire.RefreshRequest {
  @ApiProperty({ description: 'The refresh token from login (or the last rotation)' })
  @IsString({ message: 'refresh_token must be a string' })
  @MaxLength(512, { message: 'refresh_token is too long' })
  refresh_token!: string;

  @ApiPropertyOptional({ description: '[ext] Also return a new refresh token that replaces this one' })
  @IsOptional()
  @IsBoolean({ message: 'rotate must be true or false' })
  rotate?: boolean;
}

export class RefreshResponse implements wire.RefreshResponse {
  @ApiProperty({ description: 'HS256 JWT for `Authorization: Bearer`' })
  access_token!: string;

  @ApiPropertyOptional({ description: '[ext] Only with "rotate": true' })
  refresh_token?: string;
}

export class RevokeRequest implements wire.RevokeRequest {
  @ApiProperty({ description: 'The refresh token whose session ends' })
  @IsString({ message: 'refresh_token must be a string' })
  @MaxLength(512, { message: 'refresh_token is too long' })
  refresh_token!: string;
}
