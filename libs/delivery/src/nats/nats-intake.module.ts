import { Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { DeliveryModule } from '../delivery.module';
import { NatsIntakeService } from './nats-intake.service';

/**
 * Email events from NATS JetStream (EVENTS_NATS_URL): imported by the worker app, and by the API when it
 * runs the worker in-process, only when the intake is configured. Events go through the send API's
 * MessageIntake, so both intakes accept, render and refuse alike.
 */
@Module({
  imports: [DeliveryModule, AuditModule],
  providers: [NatsIntakeService],
  exports: [NatsIntakeService],
})
export class NatsIntakeModule {}
