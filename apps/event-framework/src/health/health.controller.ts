import { Controller, Get } from '@nestjs/common';
import { DomainError } from '@mailstrata/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../http/auth.decorators';
import { DrainState } from '../lifecycle/drain-state';

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly drain: DrainState,
  ) {}

  /** Liveness: the process answers. Deliberately no dependency checks, so a database blip restarts nothing. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: not shutting down (the load balancer must stop routing here first), and the database answers. */
  @Get('readyz')
  @HealthCheck()
  readyz() {
    if (this.drain.draining)
      throw new DomainError('SHUTTING_DOWN', 'unavailable', 'this replica is shutting down and takes no new traffic');
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
  }
}
