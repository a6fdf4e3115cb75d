import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsJSON, IsString, Matches, Max, Min } from 'class-validator';
import type * as wire from '@coffer/contract';
import { toRfc3339 } from '../../common/rfc3339';
import type { AccountKeysRecord } from './account-keys.repository';

/**
 * Standard base64 of exactly 32 bytes, canonical: 43 characters and `=`, the last character
 * before it carrying no stray bits. One key has one spelling, so comparing strings compares keys.
 */
export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
export const BUNDLE_MAX_CHARS = 4096;
/** A JSON object in printable ASCII: what a serialized bundle is (base64 strings and numbers). */
const BUNDLE_PATTERN = new RegExp(`^\\{[\\x20-\\x7e]{0,${BUNDLE_MAX_CHARS - 2}}\\}$`);
/** Leaves room for the increment under PostgreSQL's int4. */
export const MAX_KEY_VERSION = 2_147_483_646;

export class PutAccountKeysRequest implements wire.PutAccountKeysRequest {
  @ApiProperty({ description: 'Standard base64 (canonical, with padding) of the raw 32-byte X25519 public key; fixed once set', example: 'LfCqSbI0vQfqWkQ8C2eO9yq1m6n4yVZ3D8bq3l2m5Xs=' })
  @IsString()
  @Matches(PUBLIC_KEY_PATTERN, { message: 'public_key must be standard base64 of 32 bytes' })
  public_key!: string;

  @ApiProperty({ description: 'The wrapped private key: a JSON object as text, at most 4096 printable ASCII characters; opaque to the server' })
  @IsString()
  @Matches(BUNDLE_PATTERN, { message: `bundle must be a JSON object of at most ${BUNDLE_MAX_CHARS} printable ASCII characters` })
  @IsJSON({ message: 'bundle must be a JSON object' })
  bundle!: string;

  @ApiProperty({ type: 'integer', description: 'The version the client read (0 to create the keys)', example: 0 })
  @IsInt({ message: 'version must be a whole number' })
  @Min(0)
  @Max(MAX_KEY_VERSION)
  version!: number;
}

export class AccountKeysResponse implements wire.AccountKeysResponse {
  @ApiProperty({ description: 'Standard base64 of the raw 32-byte X25519 public key' })
  public_key!: string;

  @ApiProperty({ description: 'The wrapped private key, as the client stored it' })
  bundle!: string;

  @ApiProperty({ type: 'integer', description: 'Grows by one per write; send it back with the next PUT', example: 1 })
  version!: number;

  @ApiProperty({ description: 'When the keys were last written (RFC 3339 UTC)', example: '2026-01-01T00:00:00Z' })
  updated_at!: string;
}

export class PutAccountKeysResponse implements wire.PutAccountKeysResponse {
  @ApiProperty({ type: 'integer', description: 'The version this write created', example: 1 })
  version!: number;
}

export function toAccountKeysResponse(keys: AccountKeysRecord): AccountKeysResponse {
  return { public_key: keys.publicKey, bundle: keys.bundle, version: keys.version, updated_at: toRfc3339(keys.updatedAt) };
}
