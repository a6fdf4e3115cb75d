import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CliVersionResponse, ReadinessResponse } from './health.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('api')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ description: 'The process is up; the body is exactly OK (text/plain)', schema: { type: 'string', example: 'OK' } })
  liveness(): string {
    return 'OK';
  }

  @Get('readyz')
  @ApiOperation({ summary: '[ext] Readiness: whether the database, storage (and Redis, with REDIS_URL) answer' })
  @ApiOkResponse({ type: ReadinessResponse, description: 'All answer' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'The database, storage or Redis is down (the same body, naming it)' })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const report = await this.health.readiness();
    res.status(Object.values(report).every((state) => state === 'ok') ? 200 : 503);
    return report;
  }

  @Get('cli/version')
  @HttpCode(200)
  @ApiOperation({ summary: 'The client version this server is compatible with' })
  @ApiOkResponse({ type: CliVersionResponse, description: 'The compatible version (COMPATIBLE_CLI_VERSION)' })
  cliVersion(): CliVersionResponse {
    return this.health.cliVersion();
  }
}
