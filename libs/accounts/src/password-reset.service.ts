/**
 * Password reset for active accounts. A request answers the same, in the same time, for every address:
 * the caller's part is only the rate limit (counted per address and per client, whatever the address
 * is), and the lookup, the token and the email happen after the answer. Tokens are 256 random bits,
 * stored only as SHA-256, single use (one conditional UPDATE), expiring, and superseded by a newer
 * request. Completing one sets the password, spends the token, revokes every session of the user on
 * every replica and records the audit event in one transaction. Pending accounts get nothing: their way
 * in is the password-setup link (`/auth/v1/password-setup/resend`).
 */
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { SharedRateLimiter } from '@mailstrata/database';
import { EmailOutbox } from '@mailstrata/delivery';
import { TemplateRenderer } from '@mailstrata/templates';
import {
  actingAsSelf,
  normalizeEmail,
  OrganizationEntity,
  PartnerEntity,
  PasswordHasher,
  RequestMeta,
  SessionService,
  UserEntity,
} from '@mailstrata/identity';
import { DataSource, EntityManager } from 'typeorm';
import { PasswordResetCompleted, PasswordResetRequested } from './accounts.events';
import { AccountsErrors } from './errors';
import { resetLink } from './reset-email';
import { SetupEmailDelivery } from './setup-email-delivery';
import { newToken, OneTimeTokenKind, prepareRedemption, spendToken, tokenHash } from './one-time-token';

export const PASSWORD_RESET_EMAIL_KIND = 'password_reset';

const RATE_WINDOW_SECONDS = 3600;

const RESET_TOKENS: OneTimeTokenKind = { table: 'password_reset_tokens', userStatus: 'active', invalid: () => invalidResetToken() };

export const invalidResetToken = () => AccountsErrors.INVALID_RESET_TOKEN();

@Injectable()
export class PasswordResetService implements OnApplicationShutdown {
  private readonly logger = new Logger(PasswordResetService.name);
  /** Requests answered but not yet worked off (see `request`). */
  private readonly pending = new Set<Promise<void>>();
  private readonly perAddress: SharedRateLimiter;
  private readonly perClient: SharedRateLimiter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly sessions: SessionService,
    private readonly outbox: EmailOutbox,
    private readonly templates: TemplateRenderer,
    private readonly routes: SetupEmailDelivery,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const limits = config.identity.passwordReset;
    // Counted in Postgres, so N replicas allow the limit once, not N times.
    this.perAddress = new SharedRateLimiter(dataSource, {
      name: 'password_reset_address',
      points: limits.limitPerAddress,
      windowSeconds: RATE_WINDOW_SECONDS,
    });
    this.perClient = new SharedRateLimiter(dataSource, {
      name: 'password_reset_client',
      points: limits.limitPerClient,
      windowSeconds: RATE_WINDOW_SECONDS,
    });
  }

  /**
   * Takes a reset request and returns once it is counted against the limits; the same work for every
   * address. The lookup and, for an active account, the token, the email and the audit event happen
   * after the caller has had its answer, so neither the answer nor its timing says whether the account
   * exists. Throws RATE_LIMITED (with `retry_after` seconds) when the address or the client is over its limit.
   */
  async request(email: string, meta: RequestMeta): Promise<void> {
    const address = normalizeEmail(email);
    // The address is counted by its hash: the counters table is no list of who asked.
    const [byAddress, byClient] = await Promise.all([
      this.perAddress.take(tokenHash(address).toString('hex')),
      this.perClient.take(meta.ip ?? 'unknown'),
    ]);
    const wait = Math.max(byAddress, byClient);
    if (wait > 0) {
      throw AccountsErrors.RATE_LIMITED(`Too many password-reset requests; try again in ${wait} s.`, { extensions: { retry_after: wait } });
    }
    // setImmediate: not even the first query is sent before the answer is written.
    const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.requestNow(address, meta))
      .catch((error: unknown) => this.logger.error({ err: error }, 'password-reset request failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once every request taken so far has been worked off (shutdown, tests). */
  async requestsSettled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.requestsSettled();
  }

  /** Sets the password from a valid token, spends it and revokes every session of the user. */
  async complete(token: string, password: string, meta: RequestMeta): Promise<void> {
    const { hash, passwordHash } = await prepareRedemption(this.dataSource, this.hasher, RESET_TOKENS, token, password);

    await this.dataSource.transaction(async (manager) => {
      const userId = await spendToken(manager, RESET_TOKENS, hash);
      const [, changed]: [unknown, number] = await manager.query(
        `UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1 AND status = 'active'`,
        [userId, passwordHash],
      );
      if (changed !== 1) throw invalidResetToken();
      // Other links still out there die with this one: the password they would replace is gone.
      await manager.query(
        `UPDATE password_reset_tokens SET superseded_at = now() WHERE user_id = $1 AND consumed_at IS NULL AND superseded_at IS NULL`,
        [userId],
      );
      const revoked = await this.sessions.revokeAllForUser(manager, userId);
      const user = await manager.findOneByOrFail(UserEntity, { id: userId });
      await this.audit.record(manager, PasswordResetCompleted, {
        outcome: 'success',
        ...actingAsSelf(user, meta),
        resource: { type: 'user', id: user.id },
        details: { email: user.email, sessions_revoked: revoked },
      });
    });
  }

  private async requestNow(address: string, meta: RequestMeta): Promise<void> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ email: address });
    if (!user || user.status !== 'active') {
      await this.audit.record(this.dataSource.manager, PasswordResetRequested, {
        outcome: 'failure',
        actor: { id: user?.id ?? null, email: address, role: user?.role ?? null, ip: meta.ip, userAgent: meta.userAgent },
        partnerId: user?.partnerId ?? null,
        orgId: user?.orgId ?? null,
        details: { account_matched: false, reason: user ? `user_${user.status}` : 'unknown_address' },
      });
      return;
    }
    try {
      await this.routes.assertDeliverable({ partnerId: user.partnerId, orgId: user.orgId });
    } catch (error) {
      if (!AccountsErrors.SMTP_NOT_CONFIGURED.is(error)) throw error;
      await this.audit.record(this.dataSource.manager, PasswordResetRequested, {
        outcome: 'failure',
        ...actingAsSelf(user, meta),
        resource: { type: 'user', id: user.id },
        details: { account_matched: true, reason: 'no_smtp_route' },
      });
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      await this.issueAndSend(manager, user);
      await this.audit.record(manager, PasswordResetRequested, {
        outcome: 'success',
        ...actingAsSelf(user, meta),
        resource: { type: 'user', id: user.id },
        details: { account_matched: true },
      });
    });
  }

  /** A fresh token (earlier ones superseded) and its email, in the caller's transaction: both or neither. */
  private async issueAndSend(manager: EntityManager, user: UserEntity): Promise<void> {
    await manager.query(
      `UPDATE password_reset_tokens SET superseded_at = now() WHERE user_id = $1 AND consumed_at IS NULL AND superseded_at IS NULL`,
      [user.id],
    );
    const token = newToken();
    const ttlMinutes = this.config.identity.passwordReset.ttlMinutes;
    await manager.query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(mins => $3))`,
      [user.id, tokenHash(token), ttlMinutes],
    );
    // The template in effect for the user's scope (org → partner → built-in, with its branding), read in
    // this transaction; it leaves through the same scope's effective route.
    const content = await this.templates.render(
      PASSWORD_RESET_EMAIL_KIND,
      { partnerId: user.partnerId, orgId: user.orgId },
      {
        link: resetLink(this.config.http.publicUrl, token),
        email: user.email,
        org_name: await this.tenantName(manager, user),
        expires_in_minutes: ttlMinutes,
      },
      { manager },
    );
    await this.outbox.enqueue(manager, {
      scope: { partnerId: user.partnerId, orgId: user.orgId },
      kind: PASSWORD_RESET_EMAIL_KIND,
      to: user.email,
      subject: content.subject,
      text: content.text,
      ...(content.html !== null ? { html: content.html } : {}),
      actor: { id: user.id, email: user.email, role: user.role },
    });
  }

  private async tenantName(manager: EntityManager, user: Pick<UserEntity, 'partnerId' | 'orgId'>): Promise<string> {
    if (user.orgId) return (await manager.findOneByOrFail(OrganizationEntity, { id: user.orgId })).name;
    if (user.partnerId) return (await manager.findOneByOrFail(PartnerEntity, { id: user.partnerId })).name;
    return 'mailstrata';
  }
}
