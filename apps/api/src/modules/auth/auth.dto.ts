import type * as wire from '@coffer/contract';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { toRfc3339 } from '../../common/rfc3339';
import type { PendingAccount } from './account.repository';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
const MAX_EMAIL_LENGTH = 254;

/** E-mails are trimmed and lower-cased before anything else sees them. */
const NormalizedEmail = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

export class RegisterRequest implements wire.RegisterRequest {
  @ApiProperty({ example: 'alice@example.com', description: 'Trimmed and lower-cased.' })
  @NormalizedEmail()
  @IsString({ message: 'email must be a string' })
  @MaxLength(MAX_EMAIL_LENGTH, { message: 'email is too long' })
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email!: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH, description: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  @IsString({ message: 'password must be a string' })
  @Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, { message: `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  password!: string;
}

export class RegisterResponse implements wire.RegisterResponse {
  @ApiProperty({ format: 'uuid', description: 'The account id' })
  id!: string;

  @ApiProperty({ example: '2026-01-01T00:00:00Z', description: 'RFC 3339 UTC' })
  created_at!: string;

  @ApiProperty({ example: '2026-01-01T00:00:00Z', description: 'RFC 3339 UTC' })
  updated_at!: string;

  @ApiProperty({ example: 'alice@example.com', description: 'Trimmed and lower-cased' })
  email!: string;

  static from(account: PendingAccount): RegisterResponse {
    return { id: account.id, created_at: toRfc3339(account.createdAt), updated_at: toRfc3339(account.updatedAt), email: account.email };
  }
}

/** E-mail and password of an existing account (login, account deletion): any mismatch is 401. */
export class CredentialsRequest implements wire.CredentialsRequest {
  @ApiProperty({ example: 'alice@example.com', description: 'Trimmed and lower-cased' })
  @NormalizedEmail()
  @IsString({ message: 'email must be a string' })
  @MaxLength(MAX_EMAIL_LENGTH, { message: 'email is too long' })
  email!: string;

  @ApiProperty({ description: 'The account password' })
  @IsString({ message: 'password must be a string' })
  @MaxLength(MAX_PASSWORD_LENGTH, { message: 'password is too long' })
  password!: string;
}

export class VerifyRequest implements wire.VerifyRequest {
  @ApiProperty({ example: 'alice@example.com', description: 'Trimmed and lower-cased' })
  @NormalizedEmail()
  @IsString({ message: 'email must be a string' })
  @MaxLength(MAX_EMAIL_LENGTH, { message: 'email is too long' })
  email!: string;

  @ApiProperty({ example: '123456', description: 'The 6-digit code from the mail' })
  @IsString({ message: 'otp must be a string' })
  @MaxLength(64, { message: 'otp is too long' })
  otp!: string;
}

export class ResendRequest implements wire.ResendRequest {
  @ApiProperty({ example: 'alice@example.com', description: 'Trimmed and lower-cased' })
  @NormalizedEmail()
  @IsString({ message: 'email must be a string' })
  @MaxLength(MAX_EMAIL_LENGTH, { message: 'email is too long' })
  email!: string;
}

export class LoginResponse implements wire.LoginResponse {
  @ApiProperty({ description: 'HS256 JWT for `Authorization: Bearer`' })
  access_token!: string;

  @ApiProperty({ description: '32 random bytes, base64url' })
  refresh_token!: string;
}
