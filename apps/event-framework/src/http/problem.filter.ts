import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { DatabaseOutage } from '@mailstrata/database';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem';

@Catch()
export class ProblemFilter implements ExceptionFilter {
  /** With the outage tracker, a database that cannot be reached is reported (logged once) before the 503 goes out. */
  constructor(private readonly outage?: DatabaseOutage) {}

  catch(error: unknown, host: ArgumentsHost): void {
    this.outage?.report(error);
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), error);
  }
}
