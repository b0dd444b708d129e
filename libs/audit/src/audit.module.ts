import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditHousekeepingService } from './audit-housekeeping.service';
import { AuditWriter } from './audit-writer';

/** What every domain library needs: recording SYSTEMAUDIT events in its own transactions. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  providers: [AuditWriter],
  exports: [AuditWriter],
})
export class AuditModule {}

/** Background upkeep of the audit record; runs in the worker (and in-process by default). */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  providers: [AuditHousekeepingService],
  exports: [AuditHousekeepingService],
})
export class AuditWorkerModule {}
