import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../http/auth.decorators';
import { DrainState } from '../lifecycle/drain-state';
import { HttpErrors } from '../http/errors';

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
    if (this.drain.draining) throw HttpErrors.SHUTTING_DOWN();
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
  }
}
