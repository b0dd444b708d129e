export { AuditModule, AuditWorkerModule } from './audit.module';
export { AuditWriter } from './audit-writer';
export type { AuditActor, AuditRecordInput } from './audit-writer';
export { defineAuditEvent, AUDIT_CATEGORY, sanitizeDetails } from './audit-event.definition';
export type { AuditEventDefinition, AuditValue } from './audit-event.definition';
export { AuditEventEntity } from './audit-event.entity';
export { AuditHousekeepingService } from './audit-housekeeping.service';
