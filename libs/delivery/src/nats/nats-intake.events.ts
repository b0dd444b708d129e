import { defineAuditEvent } from '@mailstrata/audit';

/** An event refused at intake: its id, producer and why; never its body or recipients' content. */
export const EmailEventRejected = defineAuditEvent('email.event.rejected', [
  'event_id',
  'producer',
  'reason_code',
  'stream',
  'stream_seq',
  'dead_letter_subject',
]);
