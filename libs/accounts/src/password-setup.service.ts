/**
 * Password-setup tokens for ACCOUNT_CREATION_STRATEGY=VERIFY: 256 random bits, stored only as SHA-256,
 * single use (consumed by one conditional UPDATE, so parallel attempts yield exactly one success),
 * expiring, and superseded by a resend. Every refusal is the same generic answer.
 */
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { TemplateRenderer } from '@mailstrata/templates';
import { ChangeBus } from '@mailstrata/database';
import {
  Actor,
  actingAsSelf,
  normalizeEmail,
  OrganizationEntity,
  PartnerEntity,
  PasswordHasher,
  USER_TOPIC,
  UserEntity,
} from '@mailstrata/identity';
import { DataSource, EntityManager } from 'typeorm';
import { PasswordSetupCompleted, PasswordSetupRequested } from './accounts.events';
import { AccountsErrors } from './errors';
import { newToken, OneTimeTokenKind, prepareRedemption, spendToken, tokenHash } from './one-time-token';
import { setupLink } from './setup-email';
import { SetupEmailDelivery } from './setup-email-delivery';

const SETUP_TOKENS: OneTimeTokenKind = { table: 'password_setup_tokens', userStatus: 'pending', invalid: () => invalidSetupToken() };

export const invalidSetupToken = () => AccountsErrors.INVALID_SETUP_TOKEN();

@Injectable()
export class PasswordSetupService implements OnApplicationShutdown {
  private readonly logger = new Logger(PasswordSetupService.name);
  /** Resend requests taken but not yet worked off (see `resend`). */
  private readonly resends = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly bus: ChangeBus,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly templates: TemplateRenderer,
    private readonly delivery: SetupEmailDelivery,
  ) {}

  async assertDeliverable(target: { partnerId: string | null; orgId: string | null }): Promise<void> {
    await this.delivery.assertDeliverable(target);
  }

  /**
   * Issues a fresh token for a pending user (superseding earlier ones) and queues the email, all in the
   * caller's transaction. The token exists in plain form only in the queued email.
   */
  async issueAndSend(
    manager: EntityManager,
    user: Pick<UserEntity, 'id' | 'email' | 'partnerId' | 'orgId'>,
    actor: Actor | null,
  ): Promise<void> {
    await manager.query(
      `UPDATE password_setup_tokens SET superseded_at = now() WHERE user_id = $1 AND consumed_at IS NULL AND superseded_at IS NULL`,
      [user.id],
    );
    const token = newToken();
    const ttlHours = this.config.identity.passwordSetupTtlHours;
    await manager.query(
      `INSERT INTO password_setup_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))`,
      [user.id, tokenHash(token), ttlHours],
    );
    const tenantName = await this.tenantName(manager, user);
    // The template in effect for the user's scope (org → partner → built-in), read in this transaction:
    // the organization may have been created by it.
    const content = await this.templates.render(
      'password_setup',
      { partnerId: user.partnerId, orgId: user.orgId },
      { link: setupLink(this.config.http.publicUrl, token), email: user.email, org_name: tenantName, expires_in_hours: ttlHours },
      { manager },
    );
    await this.delivery.enqueue(
      manager,
      { subject: content.subject, text: content.text, ...(content.html !== null ? { html: content.html } : {}), to: user.email },
      { partnerId: user.partnerId, orgId: user.orgId, userId: user.id },
      actor,
    );
  }

  /** Sets the password from a valid token and activates the user. */
  async complete(token: string, password: string, meta: { ip: string | null; userAgent: string | null }): Promise<void> {
    const { hash, passwordHash } = await prepareRedemption(this.dataSource, this.hasher, SETUP_TOKENS, token, password);

    await this.dataSource.transaction(async (manager) => {
      const userId = await spendToken(manager, SETUP_TOKENS, hash);
      const [, activated]: [unknown, number] = await manager.query(
        `UPDATE users SET password_hash = $2, status = 'active', password_changed_at = now() WHERE id = $1 AND status = 'pending'`,
        [userId, passwordHash],
      );
      if (activated !== 1) throw invalidSetupToken();
      const user = await manager.findOneByOrFail(UserEntity, { id: userId });
      await this.audit.record(manager, PasswordSetupCompleted, {
        outcome: 'success',
        ...actingAsSelf(user, meta),
        resource: { type: 'user', id: user.id },
        details: { email: user.email },
      });
      await this.bus.publish(manager, { topic: USER_TOPIC, key: user.id });
    });
  }

  /** Sends a new link to a pending user. Answers nothing either way, so it reveals no account. */
  /**
   * Takes a resend request and returns at once, having done the same (no) work for every address: the
   * lookup and, for a pending account, the new token and email happen after the caller has answered.
   * Doing them before the answer made it measurably slower for pending accounts than for unknown ones,
   * which told anyone which addresses have a pending account.
   */
  resend(email: string, meta: { ip: string | null; userAgent: string | null }): void {
    const address = normalizeEmail(email);
    // setImmediate: not even the first query is sent before the answer is written.
    const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.resendNow(address, meta))
      .catch((error: unknown) => this.logger.error({ err: error }, 'password-setup resend failed'))
      .finally(() => this.resends.delete(task));
    this.resends.add(task);
  }

  /** Resolves once every resend taken so far has been worked off (shutdown, tests). */
  async resendsSettled(): Promise<void> {
    while (this.resends.size > 0) await Promise.all([...this.resends]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.resendsSettled();
  }

  private async resendNow(address: string, meta: { ip: string | null; userAgent: string | null }): Promise<void> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ email: address, status: 'pending' });
    if (!user) return;
    try {
      await this.delivery.assertDeliverable({ partnerId: user.partnerId, orgId: user.orgId });
    } catch {
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      await this.issueAndSend(manager, user, null);
      await this.audit.record(manager, PasswordSetupRequested, {
        outcome: 'success',
        ...actingAsSelf(user, meta),
        resource: { type: 'user', id: user.id },
        details: { reason: 'resend' },
      });
    });
  }

  private async tenantName(manager: EntityManager, user: Pick<UserEntity, 'partnerId' | 'orgId'>): Promise<string> {
    if (user.orgId) return (await manager.findOneByOrFail(OrganizationEntity, { id: user.orgId })).name;
    if (user.partnerId) return (await manager.findOneByOrFail(PartnerEntity, { id: user.partnerId })).name;
    return 'mailstrata';
  }
}
