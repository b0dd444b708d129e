import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { renderMetrics } from '@mailstrata/observability';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/auth.decorators';

/** Prometheus exposition of everything registered on prom-client's default registry. */
@Public()
@Controller()
export class MetricsController {
  @Get('metrics')
  @ApiExcludeEndpoint()
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await renderMetrics();
    await reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}
