import { EntityManager } from 'typeorm';
import { ValidatedEvent } from './email-event.dto';

/**
 * Where a validated email event becomes queued email, inside the intake's transaction: exactly once per
 * event id (a repeated id commits nothing new and answers `duplicate: true` with the first id).
 * Refusals (unknown scope, no route, unsupported content) are DomainErrors; anything else is transient.
 */
export interface EventSubmitter {
  submit(manager: EntityManager, event: ValidatedEvent): Promise<{ id: string; duplicate: boolean }>;
}

export const EVENT_SUBMITTER = Symbol('EVENT_SUBMITTER');
