/**
 * The password-setup email over the durable email outbox: deliverability is the same resolution the
 * delivery worker will use at send time (org → partner → controller), and the email joins the creating
 * transaction as an outbox job, delivered with the effective profile's retries.
 */
import { Injectable } from '@nestjs/common';
import { EmailOutbox, SmtpRouteResolver } from '@mailstrata/delivery';
import { EmailConfigErrors } from '@mailstrata/email-config';
import { Actor, OnboardingTarget } from '@mailstrata/identity';
import { EntityManager } from 'typeorm';
import { AccountsErrors } from './errors';
import { SetupEmailContent } from './setup-email';

export const PASSWORD_SETUP_EMAIL_KIND = 'password_setup';

@Injectable()
export class SetupEmailDelivery {
  constructor(
    private readonly routes: SmtpRouteResolver,
    private readonly outbox: EmailOutbox,
  ) {}

  /** Throws a DomainError when no level (org, partner, controller) has an SMTP profile for the target. */
  async assertDeliverable(target: OnboardingTarget): Promise<void> {
    try {
      await this.routes.resolve({ partnerId: target.partnerId, orgId: target.orgId }, { readSecretFiles: false });
    } catch (error) {
      if (EmailConfigErrors.NO_SMTP_CONFIG.is(error)) throw AccountsErrors.SMTP_NOT_CONFIGURED();
      throw error;
    }
  }

  /** Queues the email in the caller's transaction; delivered by the durable queue with the profile's retries. */
  async enqueue(
    manager: EntityManager,
    message: SetupEmailContent & { to: string },
    target: { partnerId: string | null; orgId: string | null; userId: string },
    actor: Actor | null,
  ): Promise<void> {
    await this.outbox.enqueue(manager, {
      scope: { partnerId: target.partnerId, orgId: target.orgId },
      kind: PASSWORD_SETUP_EMAIL_KIND,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      actor,
    });
  }
}
