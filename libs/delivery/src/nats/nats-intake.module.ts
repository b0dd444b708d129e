import { Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { DeliveryModule } from '../delivery.module';
import { EVENT_SUBMITTER } from './event-submitter.port';
import { NatsIntakeService } from './nats-intake.service';
import { OutboxEventSubmitter } from './outbox-event-submitter';

/**
 * Email events from NATS JetStream (EVENTS_NATS_URL): imported by the worker app, and by the API when it
 * runs the worker in-process, only when the intake is configured. The submitter is the one seam to the
 * queue: swapping in another EventSubmitter is the `useClass` below.
 */
@Module({
  imports: [DeliveryModule, AuditModule],
  providers: [{ provide: EVENT_SUBMITTER, useClass: OutboxEventSubmitter }, NatsIntakeService],
  exports: [NatsIntakeService],
})
export class NatsIntakeModule {}
