import type * as wire from '@coffer/contract';
import { ApiProperty } from '@nestjs/swagger';

export type ComponentState = wire.ComponentState;

export class ReadinessResponse implements wire.ReadinessResponse {
  @ApiProperty({ enum: ['ok', 'down'], description: 'Whether the database answers' })
  database!: ComponentState;

  @ApiProperty({ enum: ['ok', 'down'], description: 'Whether the object storage answers' })
  storage!: ComponentState;

  @ApiProperty({ enum: ['ok', 'down'], required: false, description: 'Only with REDIS_URL: whether Redis, which holds the rate-limit counters, answers' })
  rate_limits?: ComponentState;
}

export class CliVersionResponse implements wire.CliVersionResponse {
  @ApiProperty({ example: '1.1.0', description: 'The client version this server is compatible with (compared as an exact string)' })
  compatible_version!: string;
}
