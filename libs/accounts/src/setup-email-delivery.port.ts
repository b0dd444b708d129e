import type { Actor, OnboardingTarget } from '@mailstrata/identity';
import type { EntityManager } from 'typeorm';
import type { SetupEmailContent } from './setup-email';

/**
 * What accounts needs from email delivery: to know, before anything is written, that some SMTP level
 * would carry an email for the target scope, and to queue one inside the creating transaction.
 */
export const SETUP_EMAIL_DELIVERY = Symbol('SetupEmailDelivery');

export interface SetupEmailDelivery {
  /** Throws a DomainError when no level (org, partner, controller) has an SMTP profile for the target. */
  assertDeliverable(target: OnboardingTarget): Promise<void>;
  /** Queues the email in the caller's transaction; delivered by the durable queue with the profile's retries. */
  enqueue(
    manager: EntityManager,
    message: SetupEmailContent & { to: string },
    target: { partnerId: string | null; orgId: string | null; userId: string },
    actor: Actor | null,
  ): Promise<void>;
}
