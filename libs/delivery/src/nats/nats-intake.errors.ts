import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Why an event from the bus was refused (the dead-letter message and the audit event carry the code). */
export const NatsIntakeErrors = defineErrors({
  MALFORMED_EVENT: { kind: 'invalid', detail: 'The event is not a UTF-8 JSON object.' },
  SCOPE_NOT_FOUND: { kind: 'not_found', detail: 'The organization or partner the event names does not exist.' },
});
export type NatsIntakeErrorCode = ErrorCodeOf<typeof NatsIntakeErrors>;
