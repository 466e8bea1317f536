import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Metrics } from '@app/delivery';
import { AdminOnly } from '../auth/auth.decorators';

/**
 * Prometheus metrics of this API process, for the operator's scraper (`authorization: credentials` =
 * ADMIN_TOKEN in its scrape config). On the API's own port behind the operator token rather than on a port
 * of its own: the API is the one process that faces the public, so an extra unauthenticated port there is
 * one more thing to keep off the internet; the worker, which faces nobody, has its own port instead.
 */
@ApiTags('Admin: operations')
@ApiBearerAuth('admin')
@AdminOnly()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format (docs/operations.md lists the metrics).' })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.exposition();
    void reply.header('content-type', contentType);
    return body;
  }
}
