/**
 * The first EventSubmitter: one EmailOutbox job per recipient (to and cc each get their own copy) for
 * the subject/text/html shape, exactly once per event id through `email_events_seen`, whose row commits
 * in the same transaction as the jobs. Templates and reply-to arrive with the send API's intake, which
 * replaces this adapter in NatsIntakeModule.
 */
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EmailOutbox } from '../email-outbox';
import { SmtpRouteResolver } from '../smtp-route';
import { ValidatedEvent } from './email-event.dto';
import { EventSubmitter } from './event-submitter.port';
import { NatsIntakeErrors } from './nats-intake.errors';

@Injectable()
export class OutboxEventSubmitter implements EventSubmitter {
  constructor(
    private readonly outbox: EmailOutbox,
    private readonly routes: SmtpRouteResolver,
  ) {}

  async submit(manager: EntityManager, event: ValidatedEvent): Promise<{ id: string; duplicate: boolean }> {
    // Claims the id first: a concurrent copy of the event waits on this row and then finds it taken.
    const claimed: unknown[] = await manager.query(
      `INSERT INTO email_events_seen (event_id, producer, message_ids) VALUES ($1, $2, '{}') ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.eventId, event.producer],
    );
    if (claimed.length === 0) {
      const [seen] = await manager.query<{ message_ids: string[] }[]>(`SELECT message_ids FROM email_events_seen WHERE event_id = $1`, [
        event.eventId,
      ]);
      return { id: seen?.message_ids[0] ?? '', duplicate: true };
    }
    const content = event.content;
    if (!('subject' in content))
      throw NatsIntakeErrors.CONTENT_NOT_SUPPORTED('Templates are not available on this intake yet; send subject and text.');
    if (event.replyTo !== undefined) throw NatsIntakeErrors.CONTENT_NOT_SUPPORTED('reply_to is not available on this intake yet.');

    const scope = await this.scopeOf(manager, event.scope);
    await this.routes.resolve(scope, { readSecretFiles: false }); // NO_SMTP_CONFIG when no level has a route
    const ids: string[] = [];
    for (const to of [...event.to, ...event.cc]) {
      ids.push(
        await this.outbox.enqueue(manager, { scope, kind: 'event', to, subject: content.subject, text: content.text, html: content.html }),
      );
    }
    await manager.query(`UPDATE email_events_seen SET message_ids = $2 WHERE event_id = $1`, [event.eventId, ids]);
    return { id: ids[0]!, duplicate: false };
  }

  private async scopeOf(manager: EntityManager, scope: ValidatedEvent['scope']): Promise<{ partnerId: string; orgId: string | null }> {
    if ('orgId' in scope) {
      const [org] = await manager.query<{ partner_id: string }[]>(`SELECT partner_id FROM organizations WHERE id = $1`, [scope.orgId]);
      if (!org) throw NatsIntakeErrors.SCOPE_NOT_FOUND('The organization named by org_id does not exist.');
      return { partnerId: org.partner_id, orgId: scope.orgId };
    }
    const [partner] = await manager.query<unknown[]>(`SELECT 1 FROM partners WHERE id = $1`, [scope.partnerId]);
    if (!partner) throw NatsIntakeErrors.SCOPE_NOT_FOUND('The partner named by partner_id does not exist.');
    return { partnerId: scope.partnerId, orgId: null };
  }
}
