import { Controller, Get, Headers, Req, Res } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../common/api-errors.decorator';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Metrics } from './metrics';
import { checkMetricsAccess } from './metrics-access';

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('metrics')
  @ApiOperation({ summary: '[ext] Prometheus metrics (production: Authorization: Bearer <METRICS_TOKEN>; otherwise also open to loopback clients)' })
  @ApiBearerAuth()
  @ApiOkResponse({
    description: 'The metrics in the Prometheus text format (docs/OPERATIONS.md lists them)',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrors('metrics')
  async scrape(@Headers('authorization') authorization: string | undefined, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    checkMetricsAccess(this.config, authorization, req.socket.remoteAddress);
    const body = await this.metrics.registry.metrics();
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return body;
  }
}
