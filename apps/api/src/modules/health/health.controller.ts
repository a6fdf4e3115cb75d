import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CliVersionResponse, ReadinessResponse } from './health.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('api')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOkResponse({ description: 'The process is up.', schema: { type: 'string', example: 'OK' } })
  liveness(): string {
    return 'OK';
  }

  @Get('readyz')
  @ApiOkResponse({ type: ReadinessResponse })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'The database or storage is down.' })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const report = await this.health.readiness();
    res.status(report.database === 'ok' && report.storage === 'ok' ? 200 : 503);
    return report;
  }

  @Get('cli/version')
  @HttpCode(200)
  @ApiOkResponse({ type: CliVersionResponse })
  cliVersion(): CliVersionResponse {
    return this.health.cliVersion();
  }
}
