/**
 * Whether this replica is shutting down. main.ts flips it on SIGTERM, before anything closes:
 * `/readyz` then answers 503 so the load balancer stops routing here, while requests keep being
 * served (with `Connection: close`, so keep-alive clients move to another replica) until the HTTP
 * listener closes after SHUTDOWN_DRAIN_DELAY_MS.
 */
import { Injectable } from '@nestjs/common';

@Injectable()
export class DrainState {
  private since: Date | undefined;

  get draining(): boolean {
    return this.since !== undefined;
  }

  begin(): void {
    this.since ??= new Date();
  }
}
