import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshRequest {
  @ApiProperty()
  @IsString({ message: 'refresh_token must be a string' })
  @MaxLength(512, { message: 'refresh_token is too long' })
  refresh_token!: string;

  @ApiPropertyOptional({ description: '[ext] Also return a new refresh token that replaces this one' })
  @IsOptional()
  @IsBoolean({ message: 'rotate must be true or false' })
  rotate?: boolean;
}

export class RefreshResponse {
  @ApiProperty()
  access_token!: string;

  @ApiPropertyOptional({ description: '[ext] Only with "rotate": true' })
  refresh_token?: string;
}

export class RevokeRequest {
  @ApiProperty()
  @IsString({ message: 'refresh_token must be a string' })
  @MaxLength(512, { message: 'refresh_token is too long' })
  refresh_token!: string;
}
