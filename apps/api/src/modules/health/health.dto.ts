import { ApiProperty } from '@nestjs/swagger';

export type ComponentState = 'ok' | 'down';

export class ReadinessResponse {
  @ApiProperty({ enum: ['ok', 'down'] })
  database!: ComponentState;

  @ApiProperty({ enum: ['ok', 'down'] })
  storage!: ComponentState;
}

export class CliVersionResponse {
  @ApiProperty({ example: '1.1.0' })
  compatible_version!: string;
}
